import type pg from 'pg';
import { EventBridgeBus } from '../adapters/eventbridge/eventbridge-bus.js';
import { PostgresOrchestrationStore } from '../adapters/postgres/postgres-orchestration-store.js';
import { SqsQueue } from '../adapters/sqs/sqs-queue.js';
import type { RuntimeConfig } from '../contracts/runtime-config.js';
import type { DatabaseBudget } from '../domain/database-budget.js';
import type { OrchestrationDeps } from '../orchestration/orchestration-deps.js';
import { staticRouting } from '../orchestration/queue-routing.js';
import type { EventBus } from '../ports/event-bus.js';
import type { Logger } from '../ports/logger.js';
import type { QueueSender } from '../ports/message-queue.js';
import type { QueueCounter } from '../ports/queue-counts.js';
import type { OrchestrationStore } from '../ports/orchestration-store.js';
import { createEventBridgeClient, createSqsClient } from './aws-clients.js';
import { requireDispatchQueue, requireSettings } from './config.js';
import { createPool } from './database.js';
import { databaseBudgetOf, usesRdsProxy } from './database-session.js';
import { createLogger } from './logger.js';
import { systemClock } from './system-clock.js';

/** Ports a caller may bring instead of the AWS adapters and a pool from the configuration. */
export interface OrchestrationOverrides {
  readonly pool?: pg.Pool;
  readonly queues?: QueueSender;
  /** Counts the dispatch queues for the sweeper; by default `queues` when it is the SQS adapter. */
  readonly queueCounts?: QueueCounter;
  readonly events?: EventBus;
  readonly logger?: Logger;
  /**
   * A store on `pool` shared with the caller: the local runtime's, which holds outbox marks for its next write (a
   * long-lived process; see StoreOptions.rideAlongMarks). A Lambda container builds its own, which holds none.
   */
  readonly store?: OrchestrationStore;
}

/** Orchestration deps with their pool and the database budget its sessions are held to. */
export type BuiltOrchestrationDeps = OrchestrationDeps & {
  readonly pool: pg.Pool;
  readonly databaseBudget: DatabaseBudget;
};

/**
 * Orchestration wired to PostgreSQL, SQS and EventBridge from the validated configuration. The
 * pool's sessions are held to the database budget; through RDS Proxy the store sends plain
 * statements only, so no session pins a server connection.
 */
export async function buildOrchestrationDeps(
  config: RuntimeConfig,
  service: string,
  overrides: OrchestrationOverrides = {},
): Promise<BuiltOrchestrationDeps> {
  requireSettings(config, ['completionQueueUrl']);
  requireDispatchQueue(config);
  const logger = overrides.logger ?? createLogger({ level: config.logLevel, base: { service } });
  const databaseBudget = databaseBudgetOf(config);
  const pool = overrides.pool ?? (await createPool(config, { session: databaseBudget }));
  pool.on('error', (error) =>
    logger.warn('idle database connection failed; it will be replaced', { error: error.message }),
  );
  const queues = overrides.queues ?? new SqsQueue(createSqsClient());
  const queueCounts = overrides.queueCounts ?? (queues instanceof SqsQueue ? queues : undefined);
  return {
    pool,
    databaseBudget,
    store: overrides.store ?? new PostgresOrchestrationStore(pool, { preparedStatements: !usesRdsProxy(config) }),
    queues,
    ...(queueCounts === undefined ? {} : { queueCounts }),
    events: overrides.events ?? new EventBridgeBus(createEventBridgeClient(), config.eventBusName),
    routing: staticRouting({
      dispatchQueueUrl: config.dispatchQueueUrl,
      namespaceQueueUrls: config.namespaceQueueUrls,
      completionQueueUrl: config.completionQueueUrl!,
      poisonQueueUrl: config.poisonQueueUrl ?? null,
    }),
    clock: systemClock,
    random: { next: Math.random },
    sleeper: { sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) },
    logger,
  };
}

/**
 * Orchestration deps built once per container, on the first invocation. A build that failed (the
 * secret or the database unreachable for a moment) is not kept: the next invocation builds again.
 */
export function perContainerDeps<D extends OrchestrationDeps>(build: () => Promise<D>): () => Promise<D> {
  let deps: Promise<D> | undefined;
  return () =>
    (deps ??= build().catch((error: unknown) => {
      deps = undefined;
      throw error;
    }));
}
