import type { ExistingDatabaseProps, RdsDatabaseProps, TaskerDatabaseProps } from './database-props.js';

const HOW_TO_CHOOSE = "pass { kind: 'existing', secret, vpc } to use your PostgreSQL, or { kind: 'rds' } to create one";

/** Everything wrong with the `database` prop (which may come from untyped JavaScript or app context). */
export function databaseProblems(database: TaskerDatabaseProps | undefined): string[] {
  if (database === undefined || database === null) return [`database is required: ${HOW_TO_CHOOSE}`];
  const kind = (database as { kind?: unknown }).kind;
  if (kind === 'existing') return existingProblems(database as ExistingDatabaseProps);
  if (kind === 'rds') return rdsProblems(database as RdsDatabaseProps);
  return [`database.kind must be 'existing' or 'rds' (got ${JSON.stringify(kind)}): ${HOW_TO_CHOOSE}`];
}

function existingProblems(db: ExistingDatabaseProps): string[] {
  const problems: string[] = [];
  if (!db.secret)
    problems.push(
      "database.secret is required when database.kind is 'existing' (the Secrets Manager secret with host, port, username, password, dbname)",
    );
  if (!db.vpc)
    problems.push(
      "database.vpc is required when database.kind is 'existing' (the VPC the database-facing functions run in)",
    );
  if (db.port !== undefined && !(Number.isInteger(db.port) && db.port >= 1 && db.port <= 65535))
    problems.push(`database.port must be a TCP port (got ${String(db.port)})`);
  return problems;
}

function rdsProblems(db: RdsDatabaseProps): string[] {
  const problems: string[] = [];
  const allocated = db.allocatedStorageGiB ?? 20;
  const max = db.maxAllocatedStorageGiB ?? 100;
  if (!(Number.isInteger(allocated) && allocated >= 20))
    problems.push(`database.allocatedStorageGiB must be an integer of at least 20 (got ${String(allocated)})`);
  if (!(max >= allocated))
    problems.push(
      `database.maxAllocatedStorageGiB (${String(max)}) must be at least database.allocatedStorageGiB (${String(allocated)})`,
    );
  if (db.natGateways !== undefined && db.vpc !== undefined)
    problems.push(
      'database.natGateways applies only to the VPC the construct creates; leave it out when you pass database.vpc',
    );
  if (db.natGateways !== undefined && !(Number.isInteger(db.natGateways) && db.natGateways >= 1))
    problems.push(
      `database.natGateways must be at least 1: the functions need egress to SQS, EventBridge and Secrets Manager (got ${String(db.natGateways)})`,
    );
  if (db.databaseName !== undefined && !/^[A-Za-z][A-Za-z0-9_]{0,62}$/.test(db.databaseName))
    problems.push(`database.databaseName '${db.databaseName}' is not a valid PostgreSQL database name`);
  return problems;
}
