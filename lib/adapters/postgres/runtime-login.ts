import type pg from 'pg';
import { scramSha256Verifier } from './scram-verifier.js';

/** The group role of the runtime role migration (migrations/*_runtime_role.sql): EXECUTE on the runtime operations, nothing on any table. */
export const RUNTIME_ROLE = 'tasker_runtime';

/** A login name PostgreSQL takes unquoted (and Secrets Manager's rotation functions handle). */
const LOGIN_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface RuntimeLogin {
  readonly username: string;
  readonly password: string;
}

export type RuntimeLoginOutcome = 'created' | 'updated';

/**
 * Makes `login` a login role that is a member of tasker_runtime, with the given password: creates it,
 * or sets its password (the secret is the truth: this converges a login whose password drifted, e.g. a restored database).
 * The password travels as a SCRAM verifier, never in clear. Runs as the schema owner, which must be allowed to create
 * roles; refuses the owner itself, the group role, and a name that is not a plain identifier.
 *
 * @example
 * ```ts
 * await ensureRuntimeLogin(ownerPool, { username: 'tasker_app', password }); // 'created' the first time
 * ```
 */
export async function ensureRuntimeLogin(pool: pg.Pool, login: RuntimeLogin): Promise<RuntimeLoginOutcome> {
  if (!LOGIN_NAME.test(login.username) || login.username === RUNTIME_ROLE)
    throw new RuntimeLoginError(
      `the runtime login name '${login.username}' must be a plain lower-case identifier other than ${RUNTIME_ROLE}`,
    );
  const client = await pool.connect();
  try {
    const { rows } = await client.query<{ owner: string; exists: boolean; group: boolean }>(
      'select current_user as owner, exists (select from pg_roles where rolname = $1) as exists, exists (select from pg_roles where rolname = $2) as group',
      [login.username, RUNTIME_ROLE],
    );
    const { owner, exists, group } = rows[0]!;
    if (login.username === owner)
      throw new RuntimeLoginError(
        `the runtime login '${login.username}' is the schema owner: give the runtime a login of its own`,
      );
    if (!group)
      throw new RuntimeLoginError(
        `role ${RUNTIME_ROLE} does not exist: the runtime role migration could not create it (the migrating role may not create roles)`,
      );
    const name = client.escapeIdentifier(login.username);
    const password = client.escapeLiteral(scramSha256Verifier(login.password));
    await client.query(
      exists
        ? `alter role ${name} with login password ${password}`
        : `create role ${name} with login password ${password}`,
    );
    await client.query(`grant ${RUNTIME_ROLE} to ${name}`);
    return exists ? 'updated' : 'created';
  } finally {
    client.release();
  }
}

/** The runtime login cannot be made as asked. */
export class RuntimeLoginError extends Error {
  override readonly name = 'RuntimeLoginError';
}
