import { describe, expect, it } from 'vitest';
import { topPackages } from '../../bench/cold-start.js';
import { isLoopbackUrl } from '../../bench/databases.js';
import { classifyPlanNotice, newStatementTally } from '../../bench/db-work.js';
import { parseTps } from '../../bench/pgbench.js';
import { operationOf } from '../../bench/timing-queryable.js';

const notice = (text: string, plan: object) =>
  `duration: 0.012 ms  plan:\n${JSON.stringify({ 'Query Text': text, Plan: plan })}`;

describe('classifyPlanNotice', () => {
  it('counts writes anywhere in the plan, table reads, and the rest; attributes nested plans to the call the client sent', () => {
    const tally = newStatementTally();
    const sent = new Set(['select tasker.apply_step_result($1, $2) as j']);
    const isSent = (t: string) => sent.has(t);
    classifyPlanNotice(notice('update tasker.tasks set state = v_to', { 'Node Type': 'ModifyTable' }), tally, isSent);
    classifyPlanNotice(
      notice('with gone as (delete from tasker.outbox) select 1', {
        'Node Type': 'Aggregate',
        Plans: [{ 'Node Type': 'ModifyTable' }],
      }),
      tally,
      isSent,
    );
    classifyPlanNotice(
      notice('select state from tasker.tasks', { 'Node Type': 'Index Scan', 'Relation Name': 'tasks' }),
      tally,
      isSent,
    );
    classifyPlanNotice(
      notice('SELECT 1 FROM ONLY "tasker"."tasks" x WHERE "task_uuid" OPERATOR(pg_catalog.=) $1 FOR KEY SHARE OF x', {
        'Node Type': 'LockRows',
        Plans: [{ 'Node Type': 'Index Scan', 'Relation Name': 'tasks' }],
      }),
      tally,
      isSent,
    );
    classifyPlanNotice(
      notice('select tasker.apply_step_result($1, $2) as j', { 'Node Type': 'Result' }),
      tally,
      isSent,
    );
    expect(tally).toMatchObject({ total: 5, writes: 2, reads: 1, fkChecks: 1, other: 1, pending: 0 });
    expect(tally.byOperation).toEqual({ apply_step_result: { calls: 1, statements: 5 } });
    expect(tally.texts.get('select state from tasker.tasks')).toBe(1);
  });

  it('ignores notices that are not auto_explain plans', () => {
    const tally = newStatementTally();
    classifyPlanNotice('relation "x" already exists, skipping', tally, () => true);
    expect(tally.total).toBe(0);
  });
});

describe('parseTps', () => {
  it('reads the rate without connection time, or the only rate printed', () => {
    expect(parseTps('latency average = 0.6 ms\ntps = 3048.123456 (without initial connection time)\n')).toBe(
      3048.123456,
    );
    expect(parseTps('tps = 12.5 (including connections establishing)')).toBe(12.5);
    expect(parseTps('pgbench: error: connection refused')).toBeNull();
  });
});

describe('operationOf', () => {
  it('names a statement by the tasker function it calls, else by its first words', () => {
    expect(operationOf('select tasker.apply_step_result($1, $2) as j')).toBe('apply_step_result');
    expect(operationOf('\n  select nt.template from tasker.named_tasks nt')).toBe('select nt.template from');
  });
});

describe('isLoopbackUrl', () => {
  it('accepts only this machine', () => {
    expect(isLoopbackUrl('postgres://postgres@127.0.0.1:5432/postgres')).toBe(true);
    expect(isLoopbackUrl('http://localhost:4566')).toBe(true);
    expect(isLoopbackUrl('postgres://u@db.example.com/x')).toBe(false);
    expect(isLoopbackUrl('not a url')).toBe(false);
  });
});

describe('topPackages', () => {
  it('adds up output bytes by package, scoped names included, largest first', () => {
    const metafile = {
      inputs: {},
      outputs: {
        'out.mjs': {
          bytes: 0,
          imports: [],
          exports: [],
          inputs: {
            'node_modules/zod/v4/core.js': { bytesInOutput: 300 },
            'node_modules/zod/v4/index.js': { bytesInOutput: 200 },
            'node_modules/@middy/core/index.js': { bytesInOutput: 50 },
            'lib/worker/execute-step.ts': { bytesInOutput: 80 },
          },
        },
      },
    };
    expect(Object.entries(topPackages(metafile))).toEqual([
      ['zod', 500],
      ['project', 80],
      ['@middy/core', 50],
    ]);
  });
});
