import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A PostgreSQL front door that checks passwords the way PostgreSQL does, against a SCRAM-SHA-256 verifier (what
 * `ALTER ROLE … PASSWORD` stores), and then hands the connection to a server that trusts it (the test database, which
 * accepts any password). Changing `verifier` is a password rotation; a wrong password gets PostgreSQL's own answer,
 * FATAL 28P01. Only the plain (non-TLS) protocol.
 *
 * @example
 * ```ts
 * const proxy = await startScramAuthProxy({ host: '127.0.0.1', port: 5432 }, scramSha256Verifier('pw'));
 * new pg.Client({ host: '127.0.0.1', port: proxy.port, user: 'postgres', password: 'pw' });
 * ```
 */
export interface ScramAuthProxy {
  readonly port: number;
  /** The verifier passwords are checked against (`SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`). */
  verifier: string;
  /** Logins accepted and refused so far. */
  readonly counts: { accepted: number; refused: number };
  close(): Promise<void>;
}

const SSL_REQUEST = 80877103;

export async function startScramAuthProxy(
  upstream: { host: string; port: number },
  verifier: string,
): Promise<ScramAuthProxy> {
  const sockets = new Set<Socket>();
  const state = { verifier, counts: { accepted: 0, refused: 0 } };
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    void authenticate(client, state, upstream, sockets).catch(() => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    get verifier() {
      return state.verifier;
    },
    set verifier(value: string) {
      state.verifier = value;
    },
    counts: state.counts,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function authenticate(
  client: Socket,
  state: { verifier: string; counts: { accepted: number; refused: number } },
  upstream: { host: string; port: number },
  sockets: Set<Socket>,
): Promise<void> {
  const read = reader(client);
  let startup = await read.message(false);
  if (startup.readInt32BE(4) === SSL_REQUEST) {
    client.write('N');
    startup = await read.message(false);
  }
  const user = startupParameter(startup, 'user');
  const keys = parseVerifier(state.verifier);
  client.write(message('R', Buffer.concat([int32(10), Buffer.from('SCRAM-SHA-256\0\0')])));
  const initial = await read.message(true);
  const clientFirst = initial.subarray(initial.indexOf(0, 5) + 5).toString();
  const clientFirstBare = clientFirst.slice(clientFirst.indexOf(',', clientFirst.indexOf(',') + 1) + 1);
  const nonce = `${/r=([^,]+)/.exec(clientFirstBare)![1]}${randomBytes(18).toString('base64')}`;
  const serverFirst = `r=${nonce},s=${keys.salt},i=${keys.iterations}`;
  client.write(message('R', Buffer.concat([int32(11), Buffer.from(serverFirst)])));
  const clientFinal = (await read.message(true)).subarray(5).toString();
  const withoutProof = clientFinal.slice(0, clientFinal.lastIndexOf(',p='));
  const proof = Buffer.from(clientFinal.slice(clientFinal.lastIndexOf(',p=') + 3), 'base64');
  const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
  const clientKey = xor(proof, hmac(keys.storedKey, authMessage));
  if (!timingSafeEqual(createHash('sha256').update(clientKey).digest(), keys.storedKey)) {
    state.counts.refused += 1;
    const fields = ['SFATAL', 'VFATAL', 'C28P01', `Mpassword authentication failed for user "${user}"`]
      .map((f) => `${f}\0`)
      .join('');
    client.end(message('E', Buffer.from(`${fields}\0`)));
    return;
  }
  state.counts.accepted += 1;
  client.write(
    message('R', Buffer.concat([int32(12), Buffer.from(`v=${hmac(keys.serverKey, authMessage).toString('base64')}`)])),
  );
  const server = connect(upstream.port, upstream.host);
  sockets.add(server);
  server.on('close', () => sockets.delete(server));
  server.write(startup);
  read.release(server);
  server.pipe(client);
  server.on('error', () => client.destroy());
  client.on('error', () => server.destroy());
  client.on('close', () => server.end());
}

/** Reads whole protocol messages (`typed`: a type byte before the length) from a socket; `release` hands the rest on. */
function reader(socket: Socket) {
  let buffered = Buffer.alloc(0);
  let waiting: (() => void) | undefined;
  let forward: Socket | undefined;
  socket.on('data', (chunk: Buffer) => {
    if (forward) return void forward.write(chunk);
    buffered = Buffer.concat([buffered, chunk]);
    waiting?.();
  });
  const take = async (typed: boolean): Promise<Buffer> => {
    const offset = typed ? 1 : 0;
    while (buffered.length < offset + 4 || buffered.length < offset + buffered.readInt32BE(offset))
      await new Promise<void>((resolve) => (waiting = resolve));
    const length = offset + buffered.readInt32BE(offset);
    const whole = buffered.subarray(0, length);
    buffered = buffered.subarray(length);
    return whole;
  };
  return {
    message: take,
    release(to: Socket) {
      forward = to;
      if (buffered.length > 0) to.write(buffered);
    },
  };
}

function parseVerifier(verifier: string) {
  const match = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(verifier);
  if (!match) throw new Error(`not a SCRAM-SHA-256 verifier: ${verifier}`);
  return {
    iterations: Number(match[1]),
    salt: match[2]!,
    storedKey: Buffer.from(match[3]!, 'base64'),
    serverKey: Buffer.from(match[4]!, 'base64'),
  };
}

function startupParameter(startup: Buffer, name: string): string {
  const parts = startup.subarray(8).toString().split('\0');
  return parts[parts.indexOf(name) + 1] ?? '';
}

function message(type: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(type), int32(body.length + 4), body]);
}

function int32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(value);
  return b;
}

function hmac(key: Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text).digest();
}

function xor(a: Buffer, b: Buffer): Buffer {
  return Buffer.from(a.map((byte, i) => byte ^ (b[i] ?? 0)));
}
