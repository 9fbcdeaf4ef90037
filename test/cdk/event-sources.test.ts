import { Duration } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { domainEventSource } from '../../lib/contracts/domain-event.js';
import { TASK_LIFECYCLE_SOURCE } from '../../lib/contracts/task-lifecycle-event.js';
import type { LambdaWorkerPool, PullWorkerPool } from '../../cdk/worker-pools.js';
import { synthEngine } from './support/synth.js';
import {
  asArray,
  identityStatements,
  logicalIdOf,
  managedPolicyStatements,
  type Statement,
} from './support/template-queries.js';

/**
 * Who may put which `events:source` on the bus. A step's domain events carry `tasker.<its namespace>`; the lifecycle
 * events `tasker.orchestration`, which only orchestration (completion, sweeper) may put: a handler must not be able to
 * announce that a task completed. The conditions are evaluated here as IAM would, for the sources each role must and must
 * not put.
 */

const { template, engine } = synthEngine({
  defaultPool: { kind: 'lambda' },
  workerPools: {
    billing: { kind: 'lambda', handlerTimeout: Duration.seconds(60) },
    reports: { kind: 'pull', createRole: true },
  },
});
const putEvents = (s: Statement) => s.Effect === 'Allow' && asArray(s.Action).includes('events:PutEvents');
const roleStatements = (fn: lambda.IFunction) =>
  identityStatements(template)
    .filter((s) => s.roles.includes(logicalIdOf(fn.role as iam.Role)) && putEvents(s.statement))
    .map((s) => s.statement);
const pullStatements = (pool: PullWorkerPool) =>
  managedPolicyStatements(template).get(logicalIdOf(pool.policy))!.filter(putEvents);

/** Whether one of the statements allows putting an event with this source (StringEquals, StringLike, StringNotEquals, as IAM evaluates them). */
function mayPut(statements: readonly Statement[], source: string): boolean {
  return statements.some((s) =>
    conditionHolds(s.Condition as Record<string, Record<string, string | string[]>> | undefined, source),
  );
}

function conditionHolds(
  condition: Record<string, Record<string, string | string[]>> | undefined,
  source: string,
): boolean {
  if (condition === undefined) return true;
  return Object.entries(condition).every(([operator, keys]) => {
    const values = asArray(keys['events:source']);
    const like = (pattern: string) =>
      new RegExp(
        `^${pattern
          .split('*')
          .map((p) => p.replace(/[.?+^$(){}|[\]\\]/g, '\\$&'))
          .join('.*')}$`,
      ).test(source);
    if (operator === 'StringEquals') return values.includes(source);
    if (operator === 'StringLike') return values.some(like);
    if (operator === 'StringNotEquals') return !values.includes(source);
    throw new Error(`unexpected condition operator ${operator}`);
  });
}

describe('events:PutEvents is conditioned on events:source', () => {
  it('for every statement that allows it, in roles and in managed policies', () => {
    const all = [
      ...identityStatements(template).map((s) => s.statement),
      ...[...managedPolicyStatements(template).values()].flat(),
    ].filter(putEvents);
    expect(all.length).toBe(7);
    for (const statement of all)
      expect(
        Object.values(statement.Condition as object).every((keys) => 'events:source' in keys),
        JSON.stringify(statement),
      ).toBe(true);
  });

  it("lets the default pool's step handler put any namespace's domain events but the pooled namespaces' and never the lifecycle source", () => {
    const statements = roleStatements(engine.stepHandler!);
    for (const source of ['tasker.ecommerce', 'tasker.patterns', 'tasker.orchestration_jobs'])
      expect(mayPut(statements, source), source).toBe(true);
    for (const source of [TASK_LIFECYCLE_SOURCE, 'tasker.billing', 'tasker.reports', 'aws.ec2', 'other.ecommerce'])
      expect(mayPut(statements, source), source).toBe(false);
  });

  it("lets a Lambda pool's function and a pull pool's workers put exactly their namespace's domain events", () => {
    const billing = roleStatements((engine.workerPools.get('billing') as LambdaWorkerPool).function);
    expect(billing.map((s) => s.Condition)).toEqual([
      { StringEquals: { 'events:source': [domainEventSource('billing')] } },
    ]);
    expect(
      [domainEventSource('billing'), TASK_LIFECYCLE_SOURCE, 'tasker.reports', 'tasker.ecommerce'].map((s) =>
        mayPut(billing, s),
      ),
    ).toEqual([true, false, false, false]);
    const reports = pullStatements(engine.workerPools.get('reports') as PullWorkerPool);
    expect(
      [domainEventSource('reports'), TASK_LIFECYCLE_SOURCE, 'tasker.billing', 'tasker.ecommerce'].map((s) =>
        mayPut(reports, s),
      ),
    ).toEqual([true, false, false, false]);
  });

  it('lets completion and sweeper put the task lifecycle events and nothing else', () => {
    for (const fn of [engine.completionHandler, engine.sweeper, engine.ingress.function]) {
      const statements = roleStatements(fn);
      expect(statements.map((s) => s.Condition)).toEqual([
        { StringEquals: { 'events:source': [TASK_LIFECYCLE_SOURCE] } },
      ]);
      expect(mayPut(statements, 'tasker.ecommerce')).toBe(false);
    }
  });

  it("lets the API put the lifecycle events (operator actions) and any namespace's domain events (a redrive), no other source", () => {
    const statements = roleStatements(engine.api!.function);
    for (const source of [TASK_LIFECYCLE_SOURCE, 'tasker.ecommerce', 'tasker.billing'])
      expect(mayPut(statements, source), source).toBe(true);
    for (const source of ['aws.ec2', 'other.ecommerce', 'tasker'])
      expect(mayPut(statements, source), source).toBe(false);
  });

  it('gives the migration function no PutEvents at all', () => {
    expect(roleStatements(engine.migrator)).toEqual([]);
  });
});
