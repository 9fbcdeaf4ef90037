import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { TASK_LIFECYCLE_SOURCE } from '../../lib/contracts/task-lifecycle-event.js';
import { TASK_FAILURE_EVENTS } from '../../cdk/domain-events.js';
import { MIGRATIONS_RESOURCE_TYPE } from '../../cdk/migrations.js';
import { migrationResourceProperties } from '../../lib/contracts/migration-resource-properties.js';
import { synthEngine } from './support/synth.js';
import { logicalIdOf, referencedId, resourceOf, resourcesOf } from './support/template-queries.js';

const { template, engine } = synthEngine({ eventBusName: 'tasker-events', archiveRetention: Duration.days(60) });

describe('domain events', () => {
  it('creates the bus with the configured name', () => {
    expect(resourceOf(template, engine.events.bus).Properties.Name).toBe('tasker-events');
  });

  it('archives every event of the account on the bus, for replay, with the configured retention', () => {
    const [archive] = Object.values(resourcesOf(template, 'AWS::Events::Archive'));
    expect(referencedId(archive!.Properties.SourceArn)).toBe(logicalIdOf(engine.events.bus));
    expect(archive!.Properties.RetentionDays).toBe(60);
    expect(archive!.Properties.EventPattern).toEqual({ account: [{ Ref: 'AWS::AccountId' }] });
  });

  it('has an example rule on the bus: failed and blocked tasks to a topic, undeliverable events to a dead-letter queue', () => {
    const rule = resourceOf(template, engine.events.taskFailureRule).Properties;
    expect(referencedId(rule.EventBusName)).toBe(logicalIdOf(engine.events.bus));
    expect(rule.EventPattern).toEqual({ source: [TASK_LIFECYCLE_SOURCE], 'detail-type': [...TASK_FAILURE_EVENTS] });
    expect(referencedId(rule.Targets[0].Arn)).toBe(logicalIdOf(engine.events.taskFailureTopic));
    expect(referencedId(rule.Targets[0].DeadLetterConfig.Arn)).toBe(logicalIdOf(engine.queues.eventTargetDlq.queue));
  });

  it('lets the bus create its own name when none is given', () => {
    const { template: t, engine: e } = synthEngine();
    expect(resourceOf(t, e.events.bus).Properties.Name).toMatch(/^TestStackEngineEventsBus/);
  });
});

describe('the sweep schedule', () => {
  it('invokes the sweeper every minute by default, without retries (the next tick redoes the work)', () => {
    const rule = resourceOf(template, engine.sweepSchedule.rule).Properties;
    expect(rule.ScheduleExpression).toBe('rate(1 minute)');
    expect(referencedId(rule.Targets[0].Arn)).toBe(logicalIdOf(engine.sweeper));
    expect(rule.Targets[0].RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 60, MaximumRetryAttempts: 0 });
  });

  it('takes another schedule', () => {
    const { template: t, engine: e } = synthEngine({ sweepSchedule: events.Schedule.rate(Duration.minutes(5)) });
    expect(resourceOf(t, e.sweepSchedule.rule).Properties.ScheduleExpression).toBe('rate(5 minutes)');
  });

  it('runs one sweep at a time, timing out before the next tick', () => {
    const sweeper = resourceOf(template, engine.sweeper).Properties;
    expect(sweeper.ReservedConcurrentExecutions).toBe(1);
    expect(sweeper.Timeout).toBeLessThan(60);
  });
});

describe('migrations at deploy time', () => {
  const [id, migration] = Object.entries(resourcesOf(template, MIGRATIONS_RESOURCE_TYPE))[0]!;

  it('is a custom resource served by a provider whose handler is the migration function', () => {
    const providerFn = resourcesOf(template, 'AWS::Lambda::Function')[
      referencedId(migration.Properties.ServiceToken)!
    ]!;
    expect(referencedId(providerFn.Properties.Environment.Variables.USER_ON_EVENT_FUNCTION_ARN)).toBe(
      logicalIdOf(engine.migrator),
    );
  });

  it('runs again whenever the migration bundle changes (its code key is a property)', () => {
    expect(migration.Properties.MigrationBundle).toBe(resourceOf(template, engine.migrator).Properties.Code.S3Key);
  });

  it('carries the blocked task grace for the database (0 by default), so a changed grace runs it again', () => {
    expect(migration.Properties.BlockedTaskGraceMs).toBe('0');
    const { template: t } = synthEngine({ blockedTaskGrace: Duration.hours(1) });
    const [, other] = Object.entries(resourcesOf(t, MIGRATIONS_RESOURCE_TYPE))[0]!;
    expect(other.Properties.BlockedTaskGraceMs).toBe('3600000');
    expect(migrationResourceProperties.parse(other.Properties)).toEqual({ BlockedTaskGraceMs: 3_600_000 });
  });

  it('runs after the database and its proxy exist', () => {
    expect(migration.DependsOn).toEqual(
      expect.arrayContaining([logicalIdOf(engine.database.instance!), logicalIdOf(engine.database.proxy!)]),
    );
  });

  it('runs before the completion function and the sweeper (and their event source) are created or updated', () => {
    const dependsOnMigration = (fn: lambda.IFunction) => resourceOf(template, fn).DependsOn?.includes(id);
    expect(dependsOnMigration(engine.completionHandler)).toBe(true);
    expect(dependsOnMigration(engine.sweeper)).toBe(true);
    for (const esm of Object.values(resourcesOf(template, 'AWS::Lambda::EventSourceMapping'))) {
      if (referencedId(esm.Properties.FunctionName) === logicalIdOf(engine.completionHandler))
        expect(esm.DependsOn).toContain(id);
    }
  });
});
