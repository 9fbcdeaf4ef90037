import { App, Duration, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { resolveTaskerProps } from '../../cdk/resolve-engine-props.js';
import { TaskerEngine } from '../../cdk/tasker-engine.js';
import { problemsOf } from './support/problems.js';
import { defaultPoolOf, entryProps, existingDatabaseStack } from './support/synth.js';

const RDS = { kind: 'rds' } as const;

describe('TaskerEngine props validation', () => {
  it('accepts the defaults: 10 handlers, 30 s timeout, 2 s margin, batch of 1, visibility 6 x 30 s', () => {
    const s = resolveTaskerProps({ database: RDS, ...entryProps() });
    const pool = defaultPoolOf(s);
    expect([
      pool.maxConcurrentHandlers,
      pool.handlerTimeout.toSeconds(),
      pool.deadlineSafetyMargin.toMilliseconds(),
      pool.dispatchBatchSize,
      pool.visibilityTimeout.toSeconds(),
    ]).toEqual([10, 30, 2000, 1, 180]);
    expect(s.completion.visibilityTimeout.toSeconds()).toBe(180);
    expect(s.sweepSchedule.expressionString).toBe('rate(1 minute)');
  });

  it('refuses maxConcurrentHandlers 1: the SQS event source maxConcurrency minimum is 2', () => {
    expect(problemsOf({ maxConcurrentHandlers: 1 })).toEqual([
      'maxConcurrentHandlers must be an integer from 2 to 1000 (the SQS event source maxConcurrency minimum is 2) (got 1)',
    ]);
    expect(problemsOf({ maxConcurrentHandlers: 2.5 })[0]).toContain('maxConcurrentHandlers must be an integer');
  });

  it('refuses a handler timeout longer than Lambda allows', () => {
    expect(problemsOf({ handlerTimeout: Duration.seconds(901) })).toContain(
      'handlerTimeout (901 s) exceeds the Lambda maximum of 900 s',
    );
    expect(problemsOf({ handlerTimeout: Duration.millis(1500) })[0]).toContain(
      'handlerTimeout must be a whole number of seconds',
    );
  });

  it('refuses a handler timeout longer than the dispatch visibility timeout allows', () => {
    expect(
      problemsOf({ handlerTimeout: Duration.seconds(60), dispatchVisibilityTimeout: Duration.seconds(300) }),
    ).toEqual([
      'handlerTimeout (60 s) is too long for dispatchVisibilityTimeout (300 s): the visibility timeout must be at least 6 x the function timeout + the batching window = 360 s',
    ]);
    expect(
      problemsOf({ maxBatchingWindow: Duration.seconds(10), dispatchVisibilityTimeout: Duration.seconds(185) })[0],
    ).toContain('= 190 s');
  });

  it('refuses a completion timeout longer than the completion visibility timeout allows', () => {
    expect(
      problemsOf({ completion: { timeout: Duration.seconds(120), visibilityTimeout: Duration.seconds(600) } })[0],
    ).toMatch(/^completion\.timeout \(120 s\) is too long for completion\.visibilityTimeout \(600 s\).* = 720 s$/);
  });

  it('refuses a visibility timeout above the SQS maximum', () => {
    expect(problemsOf({ dispatchVisibilityTimeout: Duration.hours(13) })[0]).toContain(
      'exceeds the SQS maximum of 43200 s',
    );
  });

  it('refuses missing database settings, naming both choices', () => {
    const choices = "pass { kind: 'existing', secret, vpc } to use your PostgreSQL, or { kind: 'rds' } to create one";
    expect(problemsOf(undefined)).toEqual([`database is required: ${choices}`]);
    expect(problemsOf({ database: undefined as never })).toEqual([`database is required: ${choices}`]);
    expect(problemsOf({ database: { kind: 'aurora' } as never })).toEqual([
      `database.kind must be 'existing' or 'rds' (got "aurora"): ${choices}`,
    ]);
  });

  it('refuses an existing database without its secret or VPC', () => {
    expect(problemsOf({ database: { kind: 'existing' } as never })).toEqual([
      "database.secret is required when database.kind is 'existing' (the Secrets Manager secret with host, port, username, password, dbname)",
      "database.vpc is required when database.kind is 'existing' (the VPC the database-facing functions run in)",
    ]);
    const { vpc, secret } = existingDatabaseStack();
    expect(problemsOf({ database: { kind: 'existing', secret } as never })).toHaveLength(1);
    expect(problemsOf({ database: { kind: 'existing', vpc, secret, port: 70000 } })).toEqual([
      'database.port must be a TCP port (got 70000)',
    ]);
  });

  it('refuses RDS settings that cannot work', () => {
    const { vpc } = existingDatabaseStack();
    expect(problemsOf({ database: { kind: 'rds', vpc, natGateways: 2 } })[0]).toContain(
      'natGateways applies only to the VPC the construct creates',
    );
    expect(problemsOf({ database: { kind: 'rds', natGateways: 0 } })[0]).toContain('natGateways must be at least 1');
    expect(problemsOf({ database: { kind: 'rds', allocatedStorageGiB: 50, maxAllocatedStorageGiB: 40 } })[0]).toContain(
      'must be at least database.allocatedStorageGiB (50)',
    );
    expect(problemsOf({ database: { kind: 'rds', databaseName: 'my-db' } })[0]).toContain(
      'not a valid PostgreSQL database name',
    );
  });

  it('refuses a safety margin not shorter than the handler timeout', () => {
    expect(problemsOf({ handlerTimeout: Duration.seconds(5), deadlineSafetyMargin: Duration.seconds(5) })).toEqual([
      'deadlineSafetyMargin (5000 ms) must be less than handlerTimeout (5000 ms)',
    ]);
    expect(problemsOf({ deadlineSafetyMargin: Duration.millis(0) })[0]).toContain(
      'deadlineSafetyMargin must be a positive whole number',
    );
  });

  it('refuses batch sizes outside 1..10, batching windows over 300 s and maxReceiveCount under 5', () => {
    expect(problemsOf({ dispatchBatchSize: 11 })[0]).toContain('dispatchBatchSize must be an integer from 1 to 10');
    expect(problemsOf({ completion: { batchSize: 0 } })[0]).toContain(
      'completion.batchSize must be an integer from 1 to 10',
    );
    expect(problemsOf({ maxBatchingWindow: Duration.seconds(301) })).toContain(
      'maxBatchingWindow (301 s) exceeds the SQS event source maximum of 300 s',
    );
    expect(problemsOf({ maxReceiveCount: 4 })[0]).toContain('maxReceiveCount must be an integer from 5 to 1000');
  });

  it('refuses completion concurrency that would let Lambda throttle the event source', () => {
    expect(problemsOf({ completion: { maxConcurrency: 1 } })[0]).toContain(
      'completion.maxConcurrency must be an integer from 2',
    );
    expect(problemsOf({ completion: { maxConcurrency: 6, reservedConcurrency: 5 } })[0]).toContain(
      'completion.reservedConcurrency (5) must be at least completion.maxConcurrency (6)',
    );
  });

  it('refuses namespace queues the handler concurrency cannot give 2 each, and bad or repeated names', () => {
    expect(problemsOf({ maxConcurrentHandlers: 5, namespaceQueues: ['a', 'b'] })).toEqual([
      'maxConcurrentHandlers 5 split over 3 dispatch queues gives 1 per queue; each needs at least 2, so use at least 6',
    ]);
    expect(problemsOf({ namespaceQueues: ['ok', 'not ok', 'ok'] })).toEqual([
      "namespaceQueues: 'not ok' is not a valid namespace (letters, digits, '-' and '_', at most 64)",
      'namespaceQueues: duplicates ok',
    ]);
  });

  it('refuses entries and directories that do not exist, and step-handler variables that clash with the engine', () => {
    expect(
      problemsOf({ functionEntries: { ...entryProps().functionEntries, stepHandler: '/nowhere/handler.ts' } }),
    ).toEqual(['stepHandler entry file not found: /nowhere/handler.ts']);
    expect(problemsOf({ migrationsDir: '/nowhere/migrations' })).toEqual([
      'migrationsDir not found: /nowhere/migrations',
    ]);
    expect(problemsOf({ templatesDir: '/nowhere/templates' })).toEqual(['templatesDir not found: /nowhere/templates']);
    expect(
      problemsOf({ stepHandlerEnvironment: { TASKER_HANDLER_TIMEOUT_MS: '1', NODE_OPTIONS: 'x', MINE: 'ok' } }),
    ).toEqual([
      "stepHandlerEnvironment must not set the engine's own variables: TASKER_HANDLER_TIMEOUT_MS, NODE_OPTIONS",
    ]);
  });

  it('refuses the default bus as the engine bus', () => {
    expect(problemsOf({ eventBusName: 'default' })).toEqual([
      "eventBusName cannot be 'default': the engine creates its own bus",
    ]);
  });

  it('lists every problem at once', () => {
    const problems = problemsOf({
      maxConcurrentHandlers: 1,
      handlerTimeout: Duration.seconds(1000),
      dispatchBatchSize: 0,
      database: { kind: 'existing' } as never,
    });
    expect(problems.length).toBe(5);
    expect(problems.join('\n')).toMatch(
      /database\.secret[\s\S]*database\.vpc[\s\S]*maxConcurrentHandlers[\s\S]*handlerTimeout[\s\S]*dispatchBatchSize/,
    );
  });

  it('refuses them from the construct, before creating anything', () => {
    const stack = new Stack(new App(), 'S');
    expect(
      () => new TaskerEngine(stack, 'Engine', { database: RDS, ...entryProps(), maxConcurrentHandlers: 1 }),
    ).toThrow(/invalid TaskerEngine props:\n {2}- maxConcurrentHandlers must be an integer from 2 to 1000/);
    expect(stack.node.findAll().length).toBe(2);
  });
});
