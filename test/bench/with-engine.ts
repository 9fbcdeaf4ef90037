import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import type { Queryable } from '../../lib/adapters/postgres/queryable.js';
import type { TaskTemplate } from '../../lib/domain/task-template.js';
import type { Setup } from './context.js';
import type { BenchDatabase } from './databases.js';
import { BenchEngine, DEFAULT_CONSUMERS } from './engine.js';
import { newTransport } from './transport.js';

/**
 * Runs `body` with a started engine on the database (its own pool) and the setup's transport;
 * stops the consumers, deletes the queues and ends the pool afterwards, whatever happens.
 */
export async function withEngine<T>(
  db: BenchDatabase,
  setup: Setup,
  templates: TaskTemplate[],
  maxLifetimeMs: number,
  body: (engine: BenchEngine) => Promise<T>,
  queryable?: Queryable,
): Promise<T> {
  const pool: pg.Pool | null = queryable ? null : db.newPool();
  const transport = await newTransport(setup.transport);
  const engine = new BenchEngine(queryable ?? pool!, transport, DEFAULT_CONSUMERS);
  try {
    await engine.register(...templates);
    engine.start(maxLifetimeMs);
    return await body(engine);
  } finally {
    await engine.stop();
    await pool?.end();
  }
}

/** Waits until the engine issued no round trip for `quietMs` (a completion's last outbox mark comes after the task's event), at most `maxMs`. */
export async function quiesce(engine: BenchEngine, quietMs = 150, maxMs = 5_000): Promise<void> {
  const until = performance.now() + maxMs;
  let last = -1;
  while (performance.now() < until && engine.counter.roundTrips !== last) {
    last = engine.counter.roundTrips;
    await new Promise((resolve) => setTimeout(resolve, quietMs));
  }
}

/** Runs `count` tasks one after another, each to completion; returns create → task.completed milliseconds per task. */
export async function runSequential(
  engine: BenchEngine,
  template: TaskTemplate,
  context: Record<string, unknown>,
  count: number,
  maxMs: number,
): Promise<number[]> {
  const samples: number[] = [];
  const until = performance.now() + maxMs;
  for (let i = 0; i < count && performance.now() < until; i++) {
    const started = performance.now();
    const taskUuid = await engine.createTask(template, context);
    samples.push((await engine.watch.completion(taskUuid, 15_000)) - started);
  }
  return samples;
}
