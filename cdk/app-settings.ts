import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import type { Node } from 'constructs';
import { ContextReader } from './context-reader.js';
import { AppContextError } from './errors.js';
import type { FunctionEntries, TaskerEngineProps } from './tasker-engine-props.js';
import type { WorkerPoolProps } from './worker-pool-props.js';
import { workerPoolsFromContext } from './worker-pools-context.js';

export interface RdsDatabaseContext {
  readonly kind: 'rds';
  readonly instanceType: string | undefined;
  readonly natGateways: number | undefined;
  readonly proxy: boolean;
}

export interface ExistingDatabaseContext {
  readonly kind: 'existing';
  readonly vpcId: string;
  /** The complete ARN (with the six-character suffix) or, instead, the name. */
  readonly secretArn: string | undefined;
  readonly secretName: string | undefined;
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
  readonly databaseSecurityGroupId: string | undefined;
  readonly port: number | undefined;
}

export type DatabaseContext = RdsDatabaseContext | ExistingDatabaseContext;

/**
 * The engine settings of the app as its context keys give them: flat keys for what every Lambda pool leaves out (the
 * default pool's settings), and `engineProps` (app-engine-props.ts) turns them into TaskerEngine props.
 */
export interface EngineContext {
  /** `maxConcurrentHandlers`: every Lambda pool's default cap. */
  readonly maxConcurrentHandlers: number | undefined;
  /** `handlerTimeoutSeconds`: every Lambda pool's default handler timeout. */
  readonly handlerTimeout: Duration | undefined;
  /** `deadlineSafetyMarginMs`: every Lambda pool's default safety margin. */
  readonly deadlineSafetyMargin: Duration | undefined;
  /** `dispatchBatchSize`: every Lambda pool's default batch size. */
  readonly dispatchBatchSize: number | undefined;
  /** `namespaceQueues` (deprecated, as the prop is): extra queues of the default pool. */
  readonly namespaceQueues: readonly string[] | undefined;
  /** `workerPools`: namespace -> its pool (JSON). */
  readonly workerPools: Record<string, WorkerPoolProps> | undefined;
  /** `defaultPool`: keep (true) or leave out (false) the default pool. */
  readonly defaultPool: boolean | undefined;
  readonly eventBusName: string | undefined;
  readonly logLevel: TaskerEngineProps['logLevel'];
  readonly templatesDir: string | undefined;
  /** Not read from context: the entries to deploy instead of the engine's own (tests point them at stubs). */
  readonly functionEntries?: FunctionEntries;
}

/** What `cdk/app.ts` builds, read from CDK context (`-c key=value` or cdk.json). */
export interface AppSettings {
  readonly stackName: string;
  readonly database: DatabaseContext;
  readonly alarmTopicArn: string | undefined;
  readonly engine: EngineContext;
}

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** The templates of the example workflow whose handlers functions/step-handler.ts deploys. */
export const EXAMPLE_TEMPLATES_DIR = join(REPO_ROOT, 'examples/order-workflow/templates');

/** The example workflow's step-handler entry: the app deploys it; the construct deploys only the entry it is given. */
export const EXAMPLE_STEP_HANDLER_ENTRY = join(REPO_ROOT, 'functions/step-handler.ts');

/** Reads the app's settings from context; with no context at all: the RDS variant with every default. */
export function readAppSettings(node: Pick<Node, 'tryGetContext'>): AppSettings {
  const reader = new ContextReader(node);
  const settings: AppSettings = {
    stackName: reader.string('stackName') ?? 'TaskerServerless',
    database: reader.string('database') === 'existing' ? existingContext(reader) : rdsContext(reader),
    alarmTopicArn: reader.string('alarmTopicArn'),
    engine: engineContext(reader),
  };
  const kind = reader.string('database');
  if (kind !== undefined && kind !== 'rds' && kind !== 'existing')
    reader.problems.push(`database must be 'rds' or 'existing' (got '${kind}')`);
  if (reader.problems.length > 0) throw new AppContextError(reader.problems);
  return settings;
}

/**
 * The account and region the existing variant's VPC lookup needs; the CDK CLI sets them from your credentials. The RDS
 * variant needs none (an environment-agnostic stack).
 */
export function stackEnvironment(
  database: DatabaseContext,
  env: NodeJS.ProcessEnv,
): { account: string; region: string } | undefined {
  if (database.kind === 'rds') return undefined;
  const account = env.CDK_DEFAULT_ACCOUNT;
  const region = env.CDK_DEFAULT_REGION;
  if (account && region) return { account, region };
  throw new AppContextError([
    'database=existing looks the VPC up in your account: run with AWS credentials and a region (CDK_DEFAULT_ACCOUNT and CDK_DEFAULT_REGION are not set)',
  ]);
}

function rdsContext(r: ContextReader): RdsDatabaseContext {
  return {
    kind: 'rds',
    instanceType: r.string('dbInstanceType'),
    natGateways: r.number('natGateways'),
    proxy: r.boolean('dbProxy') ?? true,
  };
}

function existingContext(r: ContextReader): ExistingDatabaseContext {
  const vpcId = r.string('vpcId');
  const secretArn = r.string('secretArn');
  const secretName = r.string('secretName');
  if (vpcId === undefined)
    r.problems.push('database=existing needs -c vpcId=vpc-... (the VPC that reaches your database)');
  if (secretArn === undefined && secretName === undefined)
    r.problems.push(
      'database=existing needs -c secretArn=arn:aws:secretsmanager:... (complete ARN) or -c secretName=... (the database credentials secret)',
    );
  return {
    kind: 'existing',
    vpcId: vpcId ?? '',
    secretArn,
    secretName,
    subnetIds: r.list('subnetIds'),
    securityGroupIds: r.list('securityGroupIds'),
    databaseSecurityGroupId: r.string('databaseSecurityGroupId'),
    port: r.number('databasePort'),
  };
}

function engineContext(r: ContextReader): EngineContext {
  const timeout = r.number('handlerTimeoutSeconds');
  const margin = r.number('deadlineSafetyMarginMs');
  const namespaces = r.list('namespaceQueues');
  return {
    maxConcurrentHandlers: r.number('maxConcurrentHandlers'),
    handlerTimeout: timeout === undefined ? undefined : Duration.seconds(timeout),
    deadlineSafetyMargin: margin === undefined ? undefined : Duration.millis(margin),
    dispatchBatchSize: r.number('dispatchBatchSize'),
    namespaceQueues: namespaces.length > 0 ? namespaces : undefined,
    workerPools: workerPoolsFromContext(r.raw('workerPools'), r.problems, repoPath),
    defaultPool: r.boolean('defaultPool'),
    eventBusName: r.string('eventBusName'),
    logLevel: r.string('logLevel') as EngineContext['logLevel'],
    templatesDir: templatesDirOf(r.string('templatesDir')),
  };
}

/** Default: the example's templates; `none` registers none; relative paths are from the repository root. */
function templatesDirOf(value: string | undefined): string | undefined {
  if (value === undefined) return EXAMPLE_TEMPLATES_DIR;
  if (value === 'none') return undefined;
  return repoPath(value);
}

/** Relative paths in context are from the repository root. */
function repoPath(value: string): string {
  return isAbsolute(value) ? value : join(REPO_ROOT, value);
}
