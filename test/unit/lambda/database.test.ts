import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { ConfigurationError, loadConfig } from '../../../lib/lambda/config.js';
import { createPool } from '../../../lib/lambda/database.js';
import { SecretPool } from '../../../lib/lambda/secret-pool.js';

/** Which pool the Lambdas get from their configuration (nothing connects here). */

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:runtime-AbCdEf';
const SECRET = { host: 'db.internal', port: 6543, username: 'tasker_app', password: 'pw-0123456789', dbname: 'tasker' };

describe('createPool', () => {
  it('from a secret: a pool that re-reads it on a refused password, through the proxy host when given, with verified TLS', async () => {
    const reads: string[] = [];
    const readSecret = async (arn: string) => (reads.push(arn), JSON.stringify(SECRET));
    const pool = await createPool(
      loadConfig({ TASKER_DATABASE_SECRET_ARN: ARN, TASKER_DATABASE_HOST: 'proxy.internal' }),
      { readSecret },
    );
    try {
      expect(pool).toBeInstanceOf(SecretPool);
      expect(pool.options).toMatchObject({
        host: 'proxy.internal',
        port: 6543,
        user: 'tasker_app',
        database: 'tasker',
        ssl: { rejectUnauthorized: true },
        max: 1,
      });
      expect(typeof pool.options.password).toBe('function');
      expect(await (pool.options.password as () => Promise<string>)()).toBe(SECRET.password);
      expect(reads).toEqual([ARN]);
    } finally {
      await pool.end();
    }
  });

  it('names the secret that lacks a field, and uses DATABASE_URL as given', async () => {
    const readSecret = async () => JSON.stringify({ host: 'db.internal', username: 'x' });
    await expect(createPool(loadConfig({ TASKER_DATABASE_SECRET_ARN: ARN }), { readSecret })).rejects.toThrow(
      ConfigurationError,
    );
    await expect(createPool(loadConfig({ TASKER_DATABASE_SECRET_ARN: ARN }), { readSecret })).rejects.toThrow(
      `the secret ${ARN} lacks host, username or password`,
    );
    const plain = await createPool(loadConfig({ DATABASE_URL: 'postgres://u:p@localhost:5432/db' }));
    expect(plain).not.toBeInstanceOf(SecretPool);
    expect(plain).toBeInstanceOf(pg.Pool);
    await plain.end();
  });
});
