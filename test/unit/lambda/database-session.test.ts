import { describe, expect, it } from 'vitest';
import type pg from 'pg';
import { runtimeConfig } from '../../../lib/contracts/runtime-config.js';
import { databaseBudgetFor } from '../../../lib/domain/database-budget.js';
import { loadConfig } from '../../../lib/lambda/config.js';
import { createPool } from '../../../lib/lambda/database.js';
import { databaseBudgetOf, sessionOptions, usesRdsProxy } from '../../../lib/lambda/database-session.js';
import { invocationBudget } from '../../../lib/lambda/invocation-budget.js';
import { NO_TIME_LIMIT } from '../../../lib/ports/time-budget.js';

const PROXY_URL = 'postgres://app:pw@tasker.proxy-abc123xyz.eu-west-1.rds.amazonaws.com:5432/tasker';
const config = (raw: Record<string, unknown> = {}) => runtimeConfig.parse(raw);

describe('usesRdsProxy', () => {
  it('is true when TASKER_DATABASE_HOST names the proxy, or DATABASE_URL is a proxy endpoint', () => {
    expect(usesRdsProxy(config({ databaseHost: 'anything.example' }))).toBe(true);
    expect(usesRdsProxy(config({ databaseUrl: PROXY_URL }))).toBe(true);
  });

  it('is false for a direct connection, an RDS instance endpoint, or no URL', () => {
    expect(usesRdsProxy(config({ databaseUrl: 'postgres://postgres@127.0.0.1:5432/tasker' }))).toBe(false);
    expect(
      usesRdsProxy(config({ databaseUrl: 'postgres://app@db.abc123xyz.eu-west-1.rds.amazonaws.com/tasker' })),
    ).toBe(false);
    expect(usesRdsProxy(config({ databaseUrl: 'not a url' }))).toBe(false);
    expect(usesRdsProxy(config())).toBe(false);
  });
});

describe('databaseBudgetOf', () => {
  it('derives each bound from the completion timeout unless the environment sets it', () => {
    expect(databaseBudgetOf(config({ completionTimeoutMs: 20_000 }))).toEqual(databaseBudgetFor(20_000));
    const env = {
      TASKER_COMPLETION_QUEUE_URL: 'https://sqs.example/q',
      TASKER_DATABASE_STATEMENT_TIMEOUT_MS: '9000',
      TASKER_DATABASE_LOCK_TIMEOUT_MS: '2000',
    };
    expect(databaseBudgetOf(loadConfig(env))).toEqual({
      statementTimeoutMs: 9_000,
      lockTimeoutMs: 2_000,
      idleInTransactionTimeoutMs: 15_000,
    });
  });

  it('refuses a bound that is not a positive whole number, naming the variable', () => {
    expect(() => loadConfig({ TASKER_DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: '-5' })).toThrow(
      /TASKER_DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS/,
    );
  });
});

describe('sessionOptions', () => {
  const budget = { statementTimeoutMs: 7_500, lockTimeoutMs: 3_750, idleInTransactionTimeoutMs: 15_000 };

  it('sends the three timeouts as startup parameters on a direct connection', () => {
    expect(sessionOptions(budget, false)).toEqual({
      statement_timeout: 7_500,
      lock_timeout: 3_750,
      idle_in_transaction_session_timeout: 15_000,
    });
  });

  it('through RDS Proxy sends no startup parameter and gives up a call client-side at the statement timeout', () => {
    expect(sessionOptions(budget, true)).toEqual({ query_timeout: 7_500 });
  });
});

describe('createPool with a session budget', () => {
  const options = async (url: string, session = databaseBudgetFor(30_000)) => {
    const pool = await createPool(config({ databaseUrl: url }), { session });
    const o = (pool as unknown as { options: pg.PoolConfig }).options;
    await pool.end();
    return o;
  };

  it('holds a direct pool to the budget, and waits for a connection no longer than a call may take', async () => {
    expect(await options('postgres://postgres@127.0.0.1:5432/tasker')).toMatchObject({
      statement_timeout: 7_500,
      lock_timeout: 3_750,
      idle_in_transaction_session_timeout: 15_000,
      connectionTimeoutMillis: 7_500,
    });
  });

  it('behind RDS Proxy sets no server parameter', async () => {
    const o = await options(PROXY_URL);
    expect(o).toMatchObject({ query_timeout: 7_500 });
    expect(o.statement_timeout).toBeUndefined();
    expect(o.lock_timeout).toBeUndefined();
  });

  it('leaves a pool without a budget as it was (the migrator)', async () => {
    const pool = await createPool(config({ databaseUrl: 'postgres://postgres@127.0.0.1:5432/tasker' }));
    const o = (pool as unknown as { options: pg.PoolConfig }).options;
    await pool.end();
    expect(o.statement_timeout).toBeUndefined();
    expect(o.connectionTimeoutMillis).toBe(10_000);
  });
});

describe('invocationBudget', () => {
  it('counts down with the Lambda context, one call as long as the statement timeout', () => {
    let left = 9_000;
    const budget = invocationBudget({ getRemainingTimeInMillis: () => left }, databaseBudgetFor(10_000));
    expect([budget.remainingMs(), budget.callMs]).toEqual([9_000, 2_500]);
    left = 100;
    expect(budget.remainingMs()).toBe(100);
  });

  it('has no limit without a context', () => {
    expect(invocationBudget(undefined, databaseBudgetFor(10_000))).toBe(NO_TIME_LIMIT);
  });
});
