import { errorMessage } from '../domain/error-message.js';
import { CliError } from './errors.js';
import { systemError } from './system-error.js';

const HINT =
  'check --database-url / DATABASE_URL (is PostgreSQL running there?), or leave both unset to use the embedded PGlite';

/**
 * Opens a database (or starts what opens one); the errors of an unreachable server, a missing
 * database or a refused login become one-line CliErrors with a hint. `url` names the server in
 * the message (its password left out); undefined for PGlite.
 *
 * @example
 * ```ts
 * const database = await openingDatabase(opts.databaseUrl, () => openDatabase({ databaseUrl: opts.databaseUrl }));
 * ```
 */
export async function openingDatabase<T>(url: string | undefined, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (error) {
    throw databaseError(error, url) ?? error;
  }
}

/** The CliError for a connection or login failure; undefined for any other error. */
export function databaseError(error: unknown, url: string | undefined): CliError | undefined {
  const found = systemError(error);
  if (!found) return undefined;
  const at =
    serverOf(url) ??
    (found.address ? `${found.address}${found.port === undefined ? '' : `:${found.port}`}` : 'the database server');
  const cause = { cause: error };
  switch (found.code) {
    case '3D000': {
      const name = /database "([^"]+)" does not exist/.exec(errorMessage(found.error))?.[1];
      return new CliError('database_not_found', `${errorMessage(found.error)} on ${at}`, {
        hint: `create it first (createdb ${name ?? '<name>'}), or ${HINT}`,
        ...cause,
      });
    }
    case '28P01':
    case '28000':
      return new CliError('database_auth_failed', `${at} refused the login: ${errorMessage(found.error)}`, {
        hint: 'check the user and password in --database-url / DATABASE_URL',
        ...cause,
      });
    case 'ECONNREFUSED':
    case 'ECONNRESET':
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new CliError('database_unreachable', `cannot connect to the database server at ${at} (${found.code})`, {
        hint: HINT,
        ...cause,
      });
    default:
      return undefined;
  }
}

/** `host:port` of a connection URL (never its credentials); undefined when it is not a URL. */
export function serverOf(url: string | undefined): string | undefined {
  if (url === undefined || !URL.canParse(url)) return undefined;
  const u = new URL(url);
  return `${u.hostname}:${u.port || '5432'}`;
}
