import pg, { type QueryResultRow } from 'pg';
import { forward, textOf, type NamedQuery, type Queryable } from '../../lib/adapters/postgres/queryable.js';
import type { TaskTemplate } from '../../lib/domain/task-template.js';
import { PostgresOrchestrationStore } from '../../lib/adapters/postgres/postgres-orchestration-store.js';
import { registerTemplates } from '../../lib/orchestration/register-templates.js';
import { emptyResult, whereOf, withDatabase, type BenchResult, type Setup, type Sizes } from './context.js';
import type { BenchDatabase } from './databases.js';
import { BenchEngine, DEFAULT_CONSUMERS } from './engine.js';
import { difference, perUnit, settledCounters, type DatabaseCounters } from './pg-stats.js';
import type { Figure } from './report.js';
import { round } from './stats.js';
import { operationOf } from './timing-queryable.js';
import { ONE_STEP, PATTERN_CONTEXT, patternTemplate } from './templates.js';
import { newTransport } from './transport.js';
import { quiesce, runSequential } from './with-engine.js';

/**
 * On the server, every statement the executor runs is logged by auto_explain (loaded for this
 * session only, nested statements included, at NOTICE level so it comes back to this client):
 * the statements inside the SQL functions are counted, not estimated. Function calls come from
 * pg_stat_user_functions (track_functions = all), commits and row writes from pg_stat_database.
 */
const COUNTING_OPTIONS = [
  '-c session_preload_libraries=auto_explain',
  '-c auto_explain.log_min_duration=0',
  '-c auto_explain.log_nested_statements=on',
  '-c auto_explain.log_level=notice',
  '-c auto_explain.log_format=json',
  '-c track_functions=all',
].join(' ');

export interface StatementTally {
  total: number;
  reads: number;
  writes: number;
  /** PostgreSQL's own foreign-key checks (`SELECT 1 FROM ONLY … FOR KEY SHARE`), run for inserts into referencing tables. */
  fkChecks: number;
  /** Statements that touch no table: function-call wrappers (`select tasker.x(...)`, PERFORM) and expressions. */
  other: number;
  /** Statements per top-level call, by the SQL function it calls (nested plans are logged before the statement that ran them). */
  byOperation: Record<string, { calls: number; statements: number }>;
  /** How often each statement text ran (whitespace collapsed, first 100 characters). */
  texts: Map<string, number>;
  pending: number;
}

export const newStatementTally = (): StatementTally => ({
  total: 0,
  reads: 0,
  writes: 0,
  fkChecks: 0,
  other: 0,
  byOperation: {},
  texts: new Map(),
  pending: 0,
});

interface PlanNode {
  'Node Type'?: string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

function someNode(node: PlanNode | undefined, test: (n: PlanNode) => boolean): boolean {
  return node !== undefined && (test(node) || (node.Plans ?? []).some((child) => someNode(child, test)));
}

/**
 * Sorts one auto_explain NOTICE (JSON format) into writes (a ModifyTable anywhere in the plan),
 * reads (a scan of a table) and other; ignores notices that are not plans. A statement whose
 * text is one the client sent closes a top-level call: the nested plans logged before it are its own.
 */
export function classifyPlanNotice(
  message: string,
  tally: StatementTally,
  sentByClient: (text: string) => boolean,
): void {
  const json = /^duration: [\d.]+ ms\s+plan:\s*([\s\S]*)$/.exec(message)?.[1];
  if (json === undefined) return;
  const plan = JSON.parse(json) as { 'Query Text': string; Plan: PlanNode };
  tally.total += 1;
  tally.pending += 1;
  const text = plan['Query Text'].replace(/\s+/g, ' ').trim().slice(0, 100);
  tally.texts.set(text, (tally.texts.get(text) ?? 0) + 1);
  if (/^SELECT 1 FROM ONLY "[^"]+"\."[^"]+" x WHERE .* FOR KEY SHARE OF x$/s.test(plan['Query Text']))
    tally.fkChecks += 1;
  else if (someNode(plan.Plan, (n) => n['Node Type'] === 'ModifyTable')) tally.writes += 1;
  else if (someNode(plan.Plan, (n) => n['Relation Name'] !== undefined)) tally.reads += 1;
  else tally.other += 1;
  if (sentByClient(plan['Query Text'])) closeOperation(tally, operationOf(plan['Query Text']));
}

function closeOperation(tally: StatementTally, operation: string): void {
  const entry = (tally.byOperation[operation] ??= { calls: 0, statements: 0 });
  entry.calls += 1;
  entry.statements += tally.pending;
  tally.pending = 0;
}

interface WorkRun {
  readonly steps: number;
  readonly roundTrips: number;
  readonly statements: StatementTally | null;
  readonly functionCalls: number | null;
  readonly topFunctions: Record<string, number> | null;
  readonly counters: DatabaseCounters | null;
}

/** Database work per step of a 4-step linear task and of a one-step task, tasks run one at a time. */
export async function databaseWork(setup: Setup, sizes: Sizes): Promise<BenchResult> {
  const result = emptyResult();
  const linear = await patternTemplate('linear');
  await withDatabase(setup, async (db) => {
    // The same procedure with no task: what connecting and reading the statistics add (a new
    // connection commits one transaction while it starts), subtracted from the runs below.
    const overhead = await countedRun(db, setup, ONE_STEP, 1, 0);
    for (const [label, template, steps] of [
      ['4-step linear', linear, 4],
      ['one-step', ONE_STEP, 1],
    ] as const) {
      const run = await countedRun(db, setup, template, steps, sizes.dbWorkTasks);
      addRun(result, whereOf(setup), label, withoutOverhead(run, overhead));
    }
  });
  return result;
}

function withoutOverhead(run: WorkRun, overhead: WorkRun): WorkRun {
  return run.counters && overhead.counters ? { ...run, counters: difference(run.counters, overhead.counters) } : run;
}

async function countedRun(
  db: BenchDatabase,
  setup: Setup,
  template: TaskTemplate,
  stepsPerTask: number,
  tasks: number,
): Promise<WorkRun> {
  await registerOn(db, template);
  const server = db.kind === 'server';
  const before = server ? await snapshot(db) : null;
  const client = new pg.Client({
    connectionString: db.connectionString,
    ...(server ? { options: COUNTING_OPTIONS } : {}),
  });
  const statements = newStatementTally();
  const sent = new Set<string>();
  client.on('notice', (notice) => classifyPlanNotice(notice.message ?? '', statements, (text) => sent.has(text)));
  client.on('error', () => undefined);
  await client.connect();
  const roundTrips = await drive(recordingTexts(client, sent), setup, template, tasks);
  await client.end();
  const after = server ? await snapshot(db) : null;
  const steps = tasks * stepsPerTask;
  if (!before || !after)
    return { steps, roundTrips, statements: null, functionCalls: null, topFunctions: null, counters: null };
  const calls = functionDelta(after.functions, before.functions);
  return {
    steps,
    roundTrips,
    statements,
    functionCalls: Object.values(calls).reduce((a, b) => a + b, 0),
    topFunctions: calls,
    counters: difference(after.counters, before.counters),
  };
}

/** Runs the tasks through the real engine with every query on the one counting connection. */
async function drive(client: Queryable, setup: Setup, template: TaskTemplate, tasks: number): Promise<number> {
  const transport = await newTransport(setup.transport);
  const engine = new BenchEngine(client, transport, DEFAULT_CONSUMERS);
  try {
    engine.start(120_000);
    const context = template.inputSchema ? PATTERN_CONTEXT : {};
    const samples = await runSequential(engine, template, context, tasks, 60_000);
    if (samples.length < tasks) throw new Error(`only ${samples.length} of ${tasks} tasks ran`);
    await quiesce(engine);
    return engine.counter.roundTrips;
  } finally {
    await engine.stop();
  }
}

/** Notes every SQL text sent, so the top-level statements can be told from nested ones. */
function recordingTexts(client: pg.Client, sent: Set<string>): Queryable {
  return {
    query: <R extends QueryResultRow>(query: string | NamedQuery, values?: unknown[]) => {
      sent.add(textOf(query));
      return forward<R>(client, query, values);
    },
  } as Queryable;
}

async function registerOn(db: BenchDatabase, template: TaskTemplate): Promise<void> {
  const pool = db.newPool(1);
  try {
    await registerTemplates(new PostgresOrchestrationStore(pool), [template]);
  } finally {
    await pool.end();
  }
}

interface Snapshot {
  readonly counters: DatabaseCounters;
  readonly functions: Record<string, number>;
}

async function snapshot(db: BenchDatabase): Promise<Snapshot> {
  const counters = await settledCounters(db.connectionString);
  const client = new pg.Client({ connectionString: db.connectionString });
  await client.connect();
  try {
    const { rows } = await client.query<{ funcname: string; calls: string }>(
      "select funcname, calls from pg_stat_user_functions where schemaname = 'tasker'",
    );
    return { counters, functions: Object.fromEntries(rows.map((r) => [r.funcname, Number(r.calls)])) };
  } finally {
    await client.end();
  }
}

function functionDelta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const delta = Object.entries(after).map(([name, calls]) => [name, calls - (before[name] ?? 0)] as const);
  return Object.fromEntries(delta.filter(([, d]) => d > 0).sort((a, b) => b[1] - a[1]));
}

function addRun(result: BenchResult, where: string, label: string, run: WorkRun): void {
  const section = 'database work';
  const per = (v: number) => v / run.steps;
  const figures: Figure[] = [
    {
      section,
      measure: `${label}: round trips per step`,
      where,
      value: per(run.roundTrips),
      unit: '',
      goal: { op: '<=', value: 6 },
      note: 'one at a time, incl. creating the task',
    },
  ];
  if (run.statements) {
    const s = run.statements;
    figures.push({
      section,
      measure: `${label}: statements executed per step`,
      where,
      value: per(s.total),
      unit: '',
      note: `reads ${round(per(s.reads), 1)}, writes ${round(per(s.writes), 1)}, FK checks ${round(per(s.fkChecks), 1)}, calls/other ${round(per(s.other), 1)} (auto_explain)`,
    });
  }
  if (run.functionCalls !== null)
    figures.push({
      section,
      measure: `${label}: SQL function calls per step`,
      where,
      value: per(run.functionCalls),
      unit: '',
      note: 'pg_stat_user_functions',
    });
  if (run.counters) {
    const c = perUnit(run.counters, run.steps);
    figures.push({
      section,
      measure: `${label}: rows written per step`,
      where,
      value: c.inserted + c.updated + c.deleted,
      unit: '',
      note: `ins ${c.inserted} / upd ${c.updated} / del ${c.deleted}; ${c.commits} commits per step`,
    });
  }
  result.figures.push(...figures);
  const key = label.replace(/\W+/g, '_');
  result.metrics[`${where}.${key}.round_trips_per_step`] = per(run.roundTrips);
  if (run.statements) result.metrics[`${where}.${key}.statements_per_step`] = per(run.statements.total);
  result.details[`${where}.${key}`] = {
    steps: run.steps,
    round_trips: run.roundTrips,
    statements: run.statements && {
      total: run.statements.total,
      reads: run.statements.reads,
      writes: run.statements.writes,
      fk_checks: run.statements.fkChecks,
      other: run.statements.other,
    },
    statements_per_call_by_operation: run.statements && perCall(run.statements),
    most_run_statements_per_step: run.statements && mostRun(run.statements, run.steps),
    function_calls: run.functionCalls,
    function_calls_by_name: run.topFunctions,
    database_counters: run.counters,
  };
}

function perCall(tally: StatementTally): Record<string, number> {
  return Object.fromEntries(Object.entries(tally.byOperation).map(([op, e]) => [op, round(e.statements / e.calls, 1)]));
}

function mostRun(tally: StatementTally, steps: number): Record<string, number> {
  return Object.fromEntries(
    [...tally.texts]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 30)
      .map(([text, n]) => [text, round(n / steps, 2)]),
  );
}
