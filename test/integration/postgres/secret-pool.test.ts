import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scramSha256Verifier } from '../../../lib/adapters/postgres/scram-verifier.js';
import { SecretCredentials } from '../../../lib/lambda/secret-credentials.js';
import { INVALID_PASSWORD, SecretPool } from '../../../lib/lambda/secret-pool.js';
import { startScramAuthProxy, type ScramAuthProxy } from '../../helpers/scram-auth-proxy.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

/**
 * A runtime pool across a rotation of its secret. The database sits behind a front door that checks the password
 * against a SCRAM verifier as PostgreSQL does (test/helpers/scram-auth-proxy.ts); rotating = a new verifier there and a
 * new password in the "secret". Open connections keep working; the next new one is refused with 28P01, and the pool
 * reads the secret again and connects.
 */

let db: TestDatabase;
let proxy: ScramAuthProxy;
let target: URL;
const secret = { password: 'first-Password-0123456789', reads: 0 };

beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
  target = new URL(db.connectionString);
  proxy = await startScramAuthProxy(
    { host: target.hostname, port: Number(target.port) },
    scramSha256Verifier(secret.password),
  );
});
afterAll(async () => {
  await proxy?.close();
  await db?.close();
});

function rotate(password: string, { database = true, secretValue = true } = {}): void {
  if (database) proxy.verifier = scramSha256Verifier(password);
  if (secretValue) secret.password = password;
}

function poolBehindProxy(idleTimeoutMillis: number, max = 1): SecretPool {
  const credentials = new SecretCredentials(
    'arn:aws:secretsmanager:eu-west-1:123456789012:secret:runtime-AbCdEf',
    async () => {
      secret.reads += 1;
      return JSON.stringify({
        host: '127.0.0.1',
        port: proxy.port,
        username: decodeURIComponent(target.username),
        password: secret.password,
        dbname: target.pathname.slice(1),
      });
    },
  );
  return new SecretPool(
    {
      host: '127.0.0.1',
      port: proxy.port,
      user: decodeURIComponent(target.username),
      database: target.pathname.slice(1),
      max,
      idleTimeoutMillis,
    },
    credentials,
  );
}

const idle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe('a pool whose password comes from a secret', () => {
  it('keeps its open connection through a rotation, and reads the secret again once when a new connection is refused', async () => {
    const pool = poolBehindProxy(60_000, 2);
    try {
      secret.reads = 0;
      const held = await pool.connect();
      expect(secret.reads).toBe(1);
      rotate('second-Password-0123456789');
      expect((await held.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
      const refused = proxy.counts.refused;
      // The one open connection is held, so this query needs a new one: refused with the old password, then the new.
      expect((await pool.query('select 2 as two')).rows).toEqual([{ two: 2 }]);
      expect([proxy.counts.refused - refused, secret.reads]).toEqual([1, 2]);
      held.release();
    } finally {
      await pool.end();
    }
  });

  it('after its connection went idle, queries (and connect) succeed across a rotation with one refusal each', async () => {
    const pool = poolBehindProxy(10);
    try {
      secret.reads = 0;
      await pool.query('select 1');
      rotate('third-Password-0123456789');
      await idle();
      const refused = proxy.counts.refused;
      expect((await pool.query('select current_user as u')).rows[0].u).toBe(decodeURIComponent(target.username));
      expect([proxy.counts.refused - refused, secret.reads]).toEqual([1, 2]);
      rotate('fourth-Password-0123456789');
      await idle();
      const held = await pool.connect();
      held.release();
      expect([proxy.counts.refused - refused, secret.reads]).toEqual([2, 3]);
    } finally {
      await pool.end();
    }
  });

  it('gives up after one fresh read when the secret itself is wrong, with the 28P01 error', async () => {
    const pool = poolBehindProxy(10);
    try {
      rotate('fifth-Password-0123456789', { secretValue: false });
      secret.reads = 0;
      const refused = proxy.counts.refused;
      const error = await pool.query('select 1').catch((e: unknown) => e);
      expect((error as { code?: string }).code).toBe(INVALID_PASSWORD);
      expect([proxy.counts.refused - refused, secret.reads]).toEqual([2, 2]);
    } finally {
      await pool.end();
      rotate('fifth-Password-0123456789');
    }
  });
});
