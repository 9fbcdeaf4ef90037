import { afterAll, expect, it } from 'vitest';
import { chainContexts, FaultRuntime } from './support/fault-runtime.js';
import {
  ensureClusterUp,
  restartCapability,
  restartCluster,
  type RestartCapability,
} from './support/postgres-server.js';
import { seededRandom } from './support/seeded-random.js';

/**
 * PostgreSQL restarted while 500 tasks are in flight. What is injected: `pg_ctlcluster restart`
 * (fast mode: every session is terminated, open transactions roll back) of the real server that
 * DATABASE_URL names, right after 500 tasks were created, while their steps run. Needs that server
 * and root: skipped on a laptop without them, failed when CI is set. The scenario's database is a
 * fresh one on that server; the server is started again in afterAll whatever happened. Queries that
 * fail become completion batch item failures (SQS redelivers them after the visibility timeout);
 * commits whose answer was lost leave outbox rows the sweeper re-sends (re-send age 5 s here).
 */

const SCENARIO = 'postgres-restart';
const TASKS = 500;
const capability: RestartCapability = restartCapability();
const random = seededRandom();
let faults: FaultRuntime | undefined;

afterAll(async () => {
  if (capability.ok) await ensureClusterUp(capability.cluster);
  await faults?.stop();
});

if (!capability.ok && !process.env.CI) console.log(`faults/${SCENARIO}: skipped: ${capability.why}`);

it.skipIf(!capability.ok && !process.env.CI)(
  `PostgreSQL restarted with ${TASKS} tasks in flight: everything completes after it`,
  async () => {
    if (!capability.ok) throw new Error(`CI is set but PostgreSQL cannot be restarted here: ${capability.why}`);
    faults = await FaultRuntime.start({ limits: { outboxResendAfterMs: 5_000 } });
    faults.workload.delayMs = () => Math.floor(random() * 20);
    await faults.startTasks(chainContexts(TASKS, { failEvery: 10, flakyEvery: 9 }), undefined, 25);
    const inFlight = await faults.unfinishedTasks();
    const began = Date.now();
    await restartCluster(capability.cluster);
    await ensureClusterUp(capability.cluster);
    const restartMs = Date.now() - began;
    const drain = await faults.drain(150_000);
    const completionUrl = faults.urls.completion;
    const failedRecords = faults.logger.count('completion record failed; SQS will redeliver it');
    await faults.report(SCENARIO, {
      in_flight_at_restart: inFlight,
      restart_ms: restartMs,
      completion_records_failed: failedRecords,
      completion_redeliveries: faults.queue.stats.redelivered.get(completionUrl) ?? 0,
      sweeps_failed: faults.runtime.metrics().sweeps.failures,
      outbox_rows_resent: faults.runtime.metrics().sweeps.resent,
      drain_after_restart_ms: drain.ms,
      completion_dlq: faults.memory.depth(faults.urls.completionDlq as string),
    });
    expect(drain.drained).toBe(true);
    expect(inFlight, 'tasks were in flight at the restart').toBeGreaterThan(TASKS / 2);
    expect(failedRecords, 'database errors became batch item failures').toBeGreaterThan(0);
    expect(faults.memory.depth(faults.urls.completionDlq as string), 'nothing dead-lettered').toBe(0);
  },
);
