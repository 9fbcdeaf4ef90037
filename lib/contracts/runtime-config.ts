import { z } from 'zod';

/**
 * The environment variables the runtime reads, one list shared by `lib/` (which reads them) and
 * `cdk/` (which sets them on the functions).
 */
export const ENV = {
  databaseUrl: 'DATABASE_URL',
  databaseSecretArn: 'TASKER_DATABASE_SECRET_ARN',
  /** Host to connect to instead of the secret's (the RDS Proxy endpoint). */
  databaseHost: 'TASKER_DATABASE_HOST',
  /** The migrate function only: the runtime login's secret, whose login it creates (member of tasker_runtime). */
  databaseRuntimeSecretArn: 'TASKER_DATABASE_RUNTIME_SECRET_ARN',
  /** The database budget of a session (see DatabaseBudget); unset, each is derived from TASKER_COMPLETION_TIMEOUT_MS. */
  databaseStatementTimeoutMs: 'TASKER_DATABASE_STATEMENT_TIMEOUT_MS',
  databaseLockTimeoutMs: 'TASKER_DATABASE_LOCK_TIMEOUT_MS',
  databaseIdleInTransactionTimeoutMs: 'TASKER_DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS',
  /** Where the migrate function finds the numbered .sql files and the task templates in its bundle. */
  migrationsDir: 'TASKER_MIGRATIONS_DIR',
  templatesDir: 'TASKER_TEMPLATES_DIR',
  dispatchQueueUrl: 'TASKER_DISPATCH_QUEUE_URL',
  /** JSON object: namespace -> dispatch queue URL; namespaces not listed use TASKER_DISPATCH_QUEUE_URL. */
  namespaceQueueUrls: 'TASKER_NAMESPACE_QUEUE_URLS',
  completionQueueUrl: 'TASKER_COMPLETION_QUEUE_URL',
  poisonQueueUrl: 'TASKER_POISON_QUEUE_URL',
  domainEventDlqUrl: 'TASKER_DOMAIN_EVENT_DLQ_URL',
  /** The API function: JSON array of the queues operators inspect and redrive, `{name, url, redrive_to}` (lib/api). */
  deadLetterQueues: 'TASKER_DEAD_LETTER_QUEUES',
  eventBusName: 'TASKER_EVENT_BUS_NAME',
  handlerTimeoutMs: 'TASKER_HANDLER_TIMEOUT_MS',
  safetyMarginMs: 'TASKER_DEADLINE_SAFETY_MARGIN_MS',
  maxConcurrentHandlers: 'TASKER_MAX_CONCURRENT_HANDLERS',
  starvationWarningThresholdMs: 'TASKER_STARVATION_WARNING_THRESHOLD_MS',
  callbackTimeoutMs: 'TASKER_CALLBACK_TIMEOUT_MS',
  completionTimeoutMs: 'TASKER_COMPLETION_TIMEOUT_MS',
  workerId: 'TASKER_WORKER_ID',
  /** A pull worker's visibility timeout on receive and heartbeat (its pool queue's setting). */
  visibilityTimeoutSeconds: 'TASKER_VISIBILITY_TIMEOUT_SECONDS',
  logLevel: 'LOG_LEVEL',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];

const positiveInt = z.coerce.number().int().positive();

/** The validated runtime configuration. Defaults are tasker-core's (worker.toml, TAS-67). */
export const runtimeConfig = z.object({
  databaseUrl: z.string().min(1).optional(),
  databaseSecretArn: z.string().min(1).optional(),
  databaseHost: z.string().min(1).optional(),
  databaseRuntimeSecretArn: z.string().min(1).optional(),
  databaseStatementTimeoutMs: positiveInt.optional(),
  databaseLockTimeoutMs: positiveInt.optional(),
  databaseIdleInTransactionTimeoutMs: positiveInt.optional(),
  migrationsDir: z.string().min(1).optional(),
  templatesDir: z.string().min(1).optional(),
  dispatchQueueUrl: z.string().url().optional(),
  namespaceQueueUrls: z.record(z.string(), z.string().url()).default({}),
  completionQueueUrl: z.string().url().optional(),
  poisonQueueUrl: z.string().url().optional(),
  domainEventDlqUrl: z.string().url().optional(),
  deadLetterQueues: z
    .array(z.object({ name: z.string().min(1), url: z.string().url(), redrive_to: z.string().url().nullable() }))
    .default([]),
  eventBusName: z.string().min(1).default('default'),
  handlerTimeoutMs: positiveInt.default(30_000),
  safetyMarginMs: positiveInt.default(2_000),
  maxConcurrentHandlers: positiveInt.default(10),
  starvationWarningThresholdMs: positiveInt.default(10_000),
  callbackTimeoutMs: positiveInt.default(5_000),
  completionTimeoutMs: positiveInt.default(30_000),
  workerId: z.string().min(1).optional(),
  visibilityTimeoutSeconds: z.coerce.number().int().min(1).max(43_200).optional(),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
});

export type RuntimeConfig = z.infer<typeof runtimeConfig>;
