import pg from 'pg';
import type { SecretCredentials } from './secret-credentials.js';

/** SQLSTATE invalid_password: the server (or RDS Proxy) refused the password. */
export const INVALID_PASSWORD = '28P01';

type ConnectCallback = (
  err: Error | undefined,
  client: pg.PoolClient | undefined,
  done: (release?: unknown) => void,
) => void;

/**
 * A pg Pool whose connections take the password from a secret, and that survives the secret's rotation: when a new
 * connection is refused with 28P01 it reads the secret again and connects once more. Connections already open are not
 * affected by a rotation (PostgreSQL checks a password only at login); the pool's `query` goes through `connect`, so
 * queries are covered too. Nothing is sent before authentication, so the retry cannot run a statement twice.
 *
 * @example
 * ```ts
 * const pool = new SecretPool({ host, port, user: username, database, max: 1 }, new SecretCredentials(arn));
 * ```
 */
export class SecretPool extends pg.Pool {
  constructor(
    config: Omit<pg.PoolConfig, 'password'>,
    private readonly credentials: SecretCredentials,
  ) {
    super({ ...config, password: async () => (await credentials.get()).password });
  }

  override connect(): Promise<pg.PoolClient>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<pg.PoolClient> | undefined {
    const connected = this.connectWithFreshPassword();
    if (!callback) return connected;
    connected.then(
      (client) => callback(undefined, client, (release) => client.release(release as Error | boolean | undefined)),
      (error: Error) => callback(error, undefined, () => undefined),
    );
    return undefined;
  }

  private async connectWithFreshPassword(): Promise<pg.PoolClient> {
    try {
      return await super.connect();
    } catch (error) {
      if ((error as { code?: unknown }).code !== INVALID_PASSWORD) throw error;
      this.credentials.invalidate();
      return super.connect();
    }
  }
}
