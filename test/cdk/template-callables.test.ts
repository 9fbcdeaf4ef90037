import { fileURLToPath } from 'node:url';
import { Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_STEP_HANDLER_ENTRY } from '../../cdk/app-settings.js';
import { TaskerEnginePropsError } from '../../cdk/errors.js';
import { resolveTaskerProps } from '../../cdk/resolve-engine-props.js';
import { entryCallables, type EntryCallables } from '../../cdk/step-handler-callables.js';
import { checkTemplateCallables, refuseMissingCallables } from '../../cdk/template-callables.js';
import type { TaskerEngineProps } from '../../cdk/tasker-engine-props.js';
import { entryProps, testApp } from './support/synth.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/callables/${name}`, import.meta.url));
const TEMPLATES = fixture('templates');
const BILLING_ENTRY = fixture('billing-step-handler.ts');
const NOTIFY_ENTRY = fixture('throws-at-import.ts');
const DISCOVERY_TIMEOUT_MS = 60_000;

const settingsOf = (props: Partial<TaskerEngineProps>) =>
  resolveTaskerProps({ database: { kind: 'rds' }, ...entryProps(), templatesDir: TEMPLATES, ...props });
const known = (...callables: string[]): EntryCallables => ({ known: true, callables });
/** Stands in for the bundling and importing: each entry's callables from a table; records what was asked. */
function stubDiscovery(table: Record<string, EntryCallables>) {
  const asked: string[] = [];
  const discover = (entry: string) => {
    asked.push(entry);
    return table[entry] ?? { known: false, reason: `no stub for ${entry}` };
  };
  return { discover, asked };
}

describe('the callables of a step-handler entry, read at synth', () => {
  it('are the keys of the map createStepHandlerLambda was given, read from the bundled entry in a child process', {
    timeout: DISCOVERY_TIMEOUT_MS,
  }, () => {
    expect(entryCallables(BILLING_ENTRY)).toEqual(known('billing.charge', 'billing.refund'));
    expect(entryCallables(EXAMPLE_STEP_HANDLER_ENTRY)).toEqual(
      known(
        'ecommerce.validate_order',
        'ecommerce.reserve_inventory',
        'ecommerce.charge_payment',
        'ecommerce.ship_order',
        'ecommerce.send_confirmation',
      ),
    );
  });

  it('are unknown, with the reason, when the handler was made otherwise, or the entry does not import or bundle', {
    timeout: DISCOVERY_TIMEOUT_MS,
  }, () => {
    expect(entryCallables(fixture('../custom-step-handler.ts'))).toEqual({
      known: false,
      reason: 'its `handler` export was not made by createStepHandlerLambda',
    });
    expect(entryCallables(NOTIFY_ENTRY)).toEqual({
      known: false,
      reason: expect.stringMatching(/^importing it failed: .*BILLING_API_URL is not set/),
    });
    expect(entryCallables(fixture('unresolvable-import.ts'))).toEqual({
      known: false,
      reason: expect.stringMatching(/^it does not bundle: .*no-such-handlers/),
    });
  });
});

describe('the templates checked against the handler maps of the pools that run their steps', () => {
  it("refuses a callable the default pool's map lacks, naming the pool, its entry, the steps and what the map has", () => {
    const { discover } = stubDiscovery({ [BILLING_ENTRY]: known('billing.charge') });
    const check = checkTemplateCallables(
      settingsOf({ functionEntries: { ...entryProps().functionEntries, stepHandler: BILLING_ENTRY } }),
      discover,
    );
    expect(check.problems).toEqual([
      `the step handler of the default pool (${BILLING_ENTRY}) does not define callable 'billing.refund', which step billing/invoice@1.0.0 refund names; it defines: billing.charge`,
      `the step handler of the default pool (${BILLING_ENTRY}) does not define callable 'notifications.email', which step billing/invoice@1.0.0 notify names; it defines: billing.charge`,
    ]);
    expect(check.warnings).toEqual([]);
  });

  it("routes each step to its namespace's pool: a Lambda pool's own entry, nothing for a pull pool; each entry read once", () => {
    const { discover, asked } = stubDiscovery({ [BILLING_ENTRY]: known('billing.charge', 'billing.refund') });
    const pools = { billing: { kind: 'lambda', entry: BILLING_ENTRY }, notifications: { kind: 'pull' } } as const;
    expect(checkTemplateCallables(settingsOf({ workerPools: pools }), discover)).toEqual({
      problems: [],
      warnings: [],
    });
    expect(asked).toEqual([BILLING_ENTRY]);
  });

  it("routes a namespace without a pool of its own to the default pool's entry", () => {
    const { discover } = stubDiscovery({
      [BILLING_ENTRY]: known('billing.charge', 'billing.refund'),
      [NOTIFY_ENTRY]: known(),
    });
    const props = {
      functionEntries: { ...entryProps().functionEntries, stepHandler: NOTIFY_ENTRY },
      defaultPool: { kind: 'lambda' },
      workerPools: { billing: { kind: 'lambda', entry: BILLING_ENTRY } },
    } as const;
    expect(checkTemplateCallables(settingsOf(props), discover).problems).toEqual([
      `the step handler of the default pool (${NOTIFY_ENTRY}) does not define callable 'notifications.email', which step billing/invoice@1.0.0 notify names; it defines: (nothing)`,
    ]);
  });

  it('warns, and refuses nothing, for an entry whose map cannot be read', () => {
    const { discover } = stubDiscovery({});
    const check = checkTemplateCallables(
      settingsOf({ functionEntries: { ...entryProps().functionEntries, stepHandler: BILLING_ENTRY } }),
      discover,
    );
    expect(check).toEqual({
      problems: [],
      warnings: [
        `cannot check the callables of the task templates against step-handler entry ${BILLING_ENTRY}: no stub for ${BILLING_ENTRY}`,
      ],
    });
  });

  it('checks nothing without templates', () => {
    const { discover, asked } = stubDiscovery({});
    expect(checkTemplateCallables(settingsOf({ templatesDir: undefined }), discover)).toEqual({
      problems: [],
      warnings: [],
    });
    expect(asked).toEqual([]);
  });
});

describe('the refusal at synth', () => {
  /** A stack whose assets are bundled (as at `cdk synth`); empty, so CloudFormation's validation is off. */
  const bundledStack = (id: string) =>
    new Stack(testApp({ 'aws:cdk:bundling-stacks': ['**'], '@aws-cdk/core:validateAgainstDefaultRules': false }), id);
  const settings = settingsOf({ functionEntries: { ...entryProps().functionEntries, stepHandler: BILLING_ENTRY } });

  it("throws TaskerEnginePropsError when the stack's assets are bundled", () => {
    const stack = bundledStack('Bundled');
    const { discover } = stubDiscovery({ [BILLING_ENTRY]: known('billing.charge') });
    expect(() => refuseMissingCallables(stack, settings, discover)).toThrow(TaskerEnginePropsError);
    expect(() => refuseMissingCallables(stack, settings, discover)).toThrow(
      /does not define callable 'billing\.refund'/,
    );
  });

  it('warns (tasker:stepHandlerCallables) when an entry cannot be read', () => {
    const stack = bundledStack('Unreadable');
    refuseMissingCallables(stack, settings, stubDiscovery({}).discover);
    Annotations.fromStack(stack).hasWarning(
      '*',
      Match.stringLikeRegexp(
        `^cannot check the callables of the task templates against step-handler entry ${BILLING_ENTRY}`,
      ),
    );
  });

  it('reads no entry when the stack is not bundled (cdk ls, a stack left out, these tests)', () => {
    const { discover, asked } = stubDiscovery({});
    refuseMissingCallables(new Stack(testApp(), 'NotBundled'), settings, discover);
    expect(asked).toEqual([]);
  });
});

describe('the step-handler entry', () => {
  const others = { ...entryProps().functionEntries, stepHandler: undefined };
  const required = (pools: string) =>
    `functionEntries.stepHandler is required: ${pools}, and the engine deploys none of its own. Give a file exporting \`handler = createStepHandlerLambda(yourHandlers)\` (from 'tasker-serverless/handler'), or each Lambda pool an entry of its own`;
  const problemsOf = (props: Partial<TaskerEngineProps>) => {
    try {
      resolveTaskerProps({ database: { kind: 'rds' }, functionEntries: others, ...props });
      return [];
    } catch (error) {
      return (error as TaskerEnginePropsError).problems;
    }
  };

  it('is required for every Lambda pool without one of its own: the package deploys no example handlers', () => {
    expect(problemsOf({})).toEqual([required('the default pool runs your step handlers')]);
    expect(problemsOf({ templatesDir: TEMPLATES })).toEqual([required('the default pool runs your step handlers')]);
    expect(
      problemsOf({
        workerPools: { billing: { kind: 'lambda' }, notifications: { kind: 'lambda', entry: BILLING_ENTRY } },
        defaultPool: { kind: 'lambda' },
      }),
    ).toEqual([required('the default pool and workerPools.billing run your step handlers')]);
  });

  it('is not needed when no Lambda pool would run it', () => {
    expect(
      problemsOf({
        workerPools: { billing: { kind: 'lambda', entry: BILLING_ENTRY }, notifications: { kind: 'pull' } },
      }),
    ).toEqual([]);
  });
});
