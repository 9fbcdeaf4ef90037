import type pg from 'pg';
import { migrate, readMigrations } from '../../lib/adapters/postgres/migrate.js';
import { PostgresOrchestrationStore } from '../../lib/adapters/postgres/postgres-orchestration-store.js';
import type { TaskTemplate } from '../../lib/domain/task-template.js';
import { registerTemplates } from '../../lib/orchestration/register-templates.js';
import { emptyResult, type BenchResult, type Sizes } from './context.js';
import { scratchServerDatabase, type BenchDatabase } from './databases.js';
import { quantile, round } from './stats.js';
import { ONE_STEP, patternTemplate } from './templates.js';

/**
 * The SQL functions' own cost per step, with no client in the loop: a DO block on the server creates a task, commits,
 * applies each dispatched step's success (its outbox marks riding along, as a long-lived process sends them) and
 * commits, task after task. `synchronous_commit` is off for it, so the figure is the functions' work and the commit's
 * processing, not the disk's flush, and none of node's or the network's time: the figure the SQL changes of issue 12
 * move, with a small fraction of the end-to-end benchmarks' noise. With `--against N`, a second database migrated only
 * up to migration N runs the same loop in alternating rounds: the two versions side by side on the same load.
 */
export async function sqlLoop(serverUrl: string, sizes: Sizes, against: number | null): Promise<BenchResult> {
  const result = emptyResult();
  const shapes: Shape[] = [
    { name: 'one_step', template: ONE_STEP },
    { name: 'linear', template: await patternTemplate('linear') },
  ];
  const templates = shapes.map((s) => s.template);
  const sides: Side[] = [];
  try {
    if (against !== null) sides.push(await openSide(serverUrl, `migrations 1-${against}`, against, templates));
    sides.push(await openSide(serverUrl, 'all migrations', null, templates));
    for (const shape of shapes) {
      const tasks = shape.name === 'one_step' ? sizes.sqlLoopTasks : Math.max(1, Math.floor(sizes.sqlLoopTasks / 4));
      // Unmeasured: each session compiles the PL/pgSQL functions at their first call.
      for (const side of sides) await loopOnce(side, shape.template.name, Math.max(1, Math.floor(tasks / 4)));
      for (let r = 0; r < sizes.sqlLoopRounds; r++) {
        const order = r % 2 === 0 ? sides : [...sides].reverse();
        for (const side of order)
          side.samples.push({ shape: shape.name, tasks, ...(await loopOnce(side, shape.template.name, tasks)) });
      }
    }
    report(result, shapes, sides, sizes.sqlLoopRounds);
  } finally {
    for (const side of sides) await side.close();
  }
  return result;
}

/** One database and the one session the loop runs in. */
interface Side {
  readonly label: string;
  readonly upTo: number | null;
  readonly client: pg.PoolClient;
  readonly samples: { shape: string; tasks: number; createUs: number; applyUs: number; steps: number }[];
  /** The loop's last report (a JSON notice). */
  notice: string;
  close(): Promise<void>;
}

async function openSide(
  serverUrl: string,
  label: string,
  upTo: number | null,
  templates: TaskTemplate[],
): Promise<Side> {
  const db = await loopDatabase(serverUrl, upTo, templates);
  const pool = db.newPool(1);
  const client = await pool.connect();
  const side: Side = {
    label,
    upTo,
    client,
    samples: [],
    notice: '',
    close: async () => {
      client.release();
      await pool.end();
      await db.close();
    },
  };
  client.on('notice', (n) => {
    if (n.message?.startsWith('{')) side.notice = n.message;
  });
  await client.query('set synchronous_commit = off');
  return side;
}

interface Shape {
  readonly name: 'one_step' | 'linear';
  readonly template: TaskTemplate;
}

/** A scratch database migrated up to migration `upTo` (all when null), with the templates registered. */
async function loopDatabase(serverUrl: string, upTo: number | null, templates: TaskTemplate[]): Promise<BenchDatabase> {
  const db = await scratchServerDatabase(serverUrl, 'tasker_sqlloop', { migrate: false, poolSize: 1 });
  const migrations = (await readMigrations()).filter((m) => upTo === null || m.id <= upTo);
  const pool = db.newPool(1);
  try {
    await migrate(pool, migrations);
    await registerTemplates(new PostgresOrchestrationStore(pool), templates);
  } finally {
    await pool.end();
  }
  return db;
}

/** One round: `tasks` tasks of the template through the loop; microseconds of server time per create and per apply. */
async function loopOnce(side: Side, template: string, tasks: number) {
  await side.client.query(
    `select set_config('tasker_bench.tasks', $1, false), set_config('tasker_bench.template', $2, false)`,
    [String(tasks), template],
  );
  await side.client.query(LOOP);
  const { create_s, apply_s, steps } = JSON.parse(side.notice) as { create_s: number; apply_s: number; steps: number };
  return { createUs: (create_s / tasks) * 1e6, applyUs: (apply_s / steps) * 1e6, steps };
}

/** Creates and runs tasks one after another inside the server, one transaction per call, as the engine calls them. */
const LOOP = `do $$
declare
  v_template bigint := (select named_task_id from tasker.named_tasks where name = current_setting('tasker_bench.template'));
  v_out jsonb; v_ids bigint[]; v_step jsonb; v_at timestamptz;
  v_create float8 := 0; v_apply float8 := 0; v_steps int := 0;
begin
  for i in 1 .. current_setting('tasker_bench.tasks')::int loop
    v_at := clock_timestamp();
    v_out := tasker.create_task(v_template, '{"even_number": 2}', null, 0, 'always_unique', null, null, null);
    commit;
    v_create := v_create + extract(epoch from clock_timestamp() - v_at);
    loop
      select coalesce(array_agg((o->>'id')::bigint), '{}'), (array_agg(o->'payload') filter (where o->>'kind' = 'step_dispatch'))[1]
        into v_ids, v_step from jsonb_array_elements(v_out->'outbox') o;
      v_at := clock_timestamp();
      perform tasker.mark_outbox_sent(v_ids);
      exit when v_step is null;
      v_out := tasker.apply_step_results(jsonb_build_array(jsonb_build_object(
        'event_id', v_step->'event_id', 'task_uuid', v_step->'task_uuid', 'step_uuid', v_step->'step_uuid', 'status', 'success',
        'result', '{"ok": true}'::jsonb, 'worker', '{"kind": "lambda"}'::jsonb, 'timing', '{}'::jsonb)), array[0.5::float8])->0;
      commit;
      v_apply := v_apply + extract(epoch from clock_timestamp() - v_at);
      v_steps := v_steps + 1;
    end loop;
    commit;
    v_apply := v_apply + extract(epoch from clock_timestamp() - v_at);
  end loop;
  raise notice '%', json_build_object('create_s', v_create, 'apply_s', v_apply, 'steps', v_steps);
end $$`;

const median = (xs: number[]) => quantile(xs, 0.5);

/** Per shape and side: create per task, apply per step, and their sum per step; with two sides, this one ÷ the other. */
function report(result: BenchResult, shapes: Shape[], sides: Side[], rounds: number): void {
  const section = 'sql loop';
  for (const shape of shapes) {
    const perStep: number[] = [];
    for (const side of sides) {
      const samples = side.samples.filter((s) => s.shape === shape.name);
      const create = median(samples.map((s) => s.createUs));
      const apply = median(samples.map((s) => s.applyUs));
      const step = median(samples.map((s) => (s.createUs * s.tasks) / s.steps + s.applyUs));
      perStep.push(step);
      const note = `${side.label}; median of ${rounds} rounds; commit without flush, no client`;
      const key = `sqlloop.${side.upTo ?? 'all'}.${shape.name}`;
      result.figures.push(
        {
          section,
          measure: `${shape.name}: create_task per task`,
          where: 'server',
          value: round(create, 0),
          unit: 'µs',
          note,
        },
        {
          section,
          measure: `${shape.name}: apply per step, with its marks`,
          where: 'server',
          value: round(apply, 0),
          unit: 'µs',
          note,
        },
        { section, measure: `${shape.name}: both per step`, where: 'server', value: round(step, 0), unit: 'µs', note },
      );
      Object.assign(result.metrics, {
        [`${key}.create_us`]: create,
        [`${key}.apply_us`]: apply,
        [`${key}.step_us`]: step,
      });
    }
    if (sides.length === 2)
      result.figures.push({
        section,
        measure: `${shape.name}: per step, ${sides[1]!.label} ÷ ${sides[0]!.label}`,
        where: 'server',
        value: round(perStep[1]! / perStep[0]!, 3),
        unit: '×',
        note: 'same rounds, alternating; < 1 means less server time',
      });
  }
  result.details.sql_loop = sides.map((s) => ({ label: s.label, samples: s.samples }));
}
