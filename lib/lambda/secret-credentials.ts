import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigurationError } from './config.js';

/** An RDS-style database secret (what RDS, `DatabaseSecret` and the rotation functions write). */
export interface DatabaseCredentials {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  readonly dbname: string | undefined;
}

/** Reads a secret's current value (its AWSCURRENT version) as a string. */
export type SecretReader = (arn: string) => Promise<string | undefined>;

/** The Secrets Manager reader, with the SDK's standard configuration (region, endpoint) from the environment. */
export const readSecretString: SecretReader = async (arn) => {
  const response = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: arn }));
  return response.SecretString;
};

/**
 * The credentials in a Secrets Manager secret, read once and kept until `invalidate()` (after the database refused the
 * password: the secret was rotated). A read that failed is not kept.
 *
 * @example
 * ```ts
 * const credentials = new SecretCredentials(config.databaseSecretArn);
 * const { username, password } = await credentials.get();
 * ```
 */
export class SecretCredentials {
  private current: Promise<DatabaseCredentials> | undefined;

  constructor(
    readonly arn: string,
    private readonly read: SecretReader = readSecretString,
  ) {}

  get(): Promise<DatabaseCredentials> {
    this.current ??= this.load().catch((error: unknown) => {
      this.current = undefined;
      throw error;
    });
    return this.current;
  }

  /** The next `get()` reads the secret again. */
  invalidate(): void {
    this.current = undefined;
  }

  private async load(): Promise<DatabaseCredentials> {
    const secret = JSON.parse((await this.read(this.arn)) ?? '{}') as Partial<
      Record<keyof DatabaseCredentials, unknown>
    >;
    if (typeof secret.host !== 'string' || typeof secret.username !== 'string' || typeof secret.password !== 'string') {
      throw new ConfigurationError([`the secret ${this.arn} lacks host, username or password`]);
    }
    return {
      host: secret.host,
      port: Number(secret.port ?? 5432),
      username: secret.username,
      password: secret.password,
      dbname: typeof secret.dbname === 'string' ? secret.dbname : undefined,
    };
  }
}
