import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { ENV } from '../../lib/contracts/runtime-config.js';
import { databaseBudgetFor } from '../../lib/domain/database-budget.js';
import { loadConfig } from '../../lib/lambda/config.js';
import { databaseBudgetOf } from '../../lib/lambda/database-session.js';
import { synthEngine } from './support/synth.js';
import { resourceOf } from './support/template-queries.js';

describe('the database budget of the orchestration functions', () => {
  const budgetEnv = (synth: ReturnType<typeof synthEngine>, fn: lambda.IFunction) => {
    const variables = resourceOf(synth.template, fn).Properties.Environment.Variables as Record<string, unknown>;
    // The plain values, as the function reads them (queue URLs and the like are tokens here).
    const env = Object.fromEntries(
      Object.entries(variables).filter((e): e is [string, string] => typeof e[1] === 'string'),
    );
    return {
      timeoutMs: Number(resourceOf(synth.template, fn).Properties.Timeout) * 1000,
      budget: databaseBudgetOf(loadConfig(env)),
      env,
    };
  };

  it("is derived from each function's own timeout: the completion function's and the sweeper's", () => {
    const synth = synthEngine({ completion: { timeout: Duration.seconds(40) }, sweeperTimeout: Duration.seconds(80) });
    const completion = budgetEnv(synth, synth.engine.completionHandler);
    const sweeper = budgetEnv(synth, synth.engine.sweeper);
    expect(completion.budget).toEqual(databaseBudgetFor(40_000));
    expect(sweeper.budget).toEqual(databaseBudgetFor(80_000));
    expect(completion.env[ENV.databaseStatementTimeoutMs]).toBe('10000');
    expect(sweeper.env[ENV.databaseLockTimeoutMs]).toBe('10000');
  });

  it('keeps every bound below the function timeout with the default props', () => {
    const synth = synthEngine();
    for (const fn of [synth.engine.completionHandler, synth.engine.sweeper]) {
      const { timeoutMs, budget } = budgetEnv(synth, fn);
      for (const ms of Object.values(budget)) expect(ms).toBeLessThan(timeoutMs);
    }
  });

  it('is not given to the migration function, whose statements may run long', () => {
    const synth = synthEngine();
    const env = resourceOf(synth.template, synth.engine.migrator).Properties.Environment.Variables as Record<
      string,
      string
    >;
    expect(env[ENV.databaseStatementTimeoutMs]).toBeUndefined();
  });
});
