import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

/** PostgreSQL's default iteration count (scram_iterations). */
const ITERATIONS = 4096;

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for `password` (RFC 5802 / 7677), in the form `ALTER ROLE … PASSWORD`
 * accepts as already hashed. Setting a password this way never sends it to the server, so it cannot show in a statement
 * log; only someone who knows the password can log in with it.
 *
 * @example
 * ```ts
 * scramSha256Verifier('s3cret') // 'SCRAM-SHA-256$4096:<salt>$<StoredKey>:<ServerKey>'
 * ```
 */
export function scramSha256Verifier(password: string, salt: Buffer = randomBytes(16)): string {
  const salted = pbkdf2Sync(saslPrep(password), salt, ITERATIONS, 32, 'sha256');
  const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest();
  const storedKey = createHash('sha256').update(hmac(salted, 'Client Key')).digest();
  const serverKey = hmac(salted, 'Server Key');
  return `SCRAM-SHA-256$${ITERATIONS}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/**
 * The parts of SASLprep (RFC 4013) that change a password's bytes, as PostgreSQL and node-postgres apply them before
 * hashing: non-ASCII spaces become spaces, "mapped to nothing" characters go, then NFKC.
 */
function saslPrep(password: string): string {
  return (
    password
      .replace(/[\u00A0\u1680\u2000-\u200B\u202F\u205F\u3000]/g, ' ')
      // biome-ignore lint/suspicious/noMisleadingCharacterClass: SASLprep's mapped-to-nothing set: each code point (joiners included) is removed on its own
      .replace(/[\u00AD\u034F\u1806\u180B-\u180D\u200C\u200D\u2060\uFE00-\uFE0F\uFEFF]/g, '')
      .normalize('NFKC')
  );
}
