import { describe, expect, it } from 'vitest';
import orderHandlers from '../../../examples/order-workflow/handlers.js';
import patternHandlers from '../../../examples/patterns/handlers.js';
import approvalHandlers from '../../../examples/approval/handlers.js';
import { compileValidator } from '../../../lib/contracts/json-schema.js';
import { topologicalOrder } from '../../../lib/domain/dag.js';
import type { StepTemplate, TaskTemplate } from '../../../lib/domain/task-template.js';
import { loadTemplateDirectoryOrThrow } from '../../../lib/adapters/templates/template-files.js';
import { PermanentError, RetryableError } from '../../../lib/worker/handler-api.js';
import type { HandlerMap, StepHandlerInput } from '../../../lib/worker/handler-api.js';
import { RecordingLogger } from '../../helpers/recording-logger.js';

const order = {
  order_id: 'ord-1',
  customer: { email: 'ada@example.com', name: 'Ada' },
  items: [
    { sku: 'BOOK', quantity: 2, price: 12.5 },
    { sku: 'PEN', quantity: 3, price: 1.1 },
  ],
};

function inputFor(
  step: StepTemplate,
  context: Record<string, unknown>,
  results: Map<string, unknown>,
  attempt: number,
): StepHandlerInput {
  return {
    context,
    config: step.handler?.initialization ?? {},
    dependencyResults: Object.fromEntries(step.dependencies.map((d) => [d, results.get(d)])),
    attempt,
    maxAttempts: step.retry.maxAttempts,
    signal: new AbortController().signal,
    deadline: new Date(Date.now() + step.timeoutSeconds * 1000),
    step: {
      taskUuid: 't',
      stepUuid: `s-${step.name}`,
      stepName: step.name,
      namespace: 'ns',
      eventId: 'e',
      correlationId: 'c',
    },
    logger: new RecordingLogger(),
  };
}

/**
 * Runs a template's steps in dependency order, retrying RetryableErrors up to max_attempts; a wait
 * step takes its payload from `signals` (checked against its signal_schema, as a signal is).
 */
async function runTemplate(
  template: TaskTemplate,
  handlers: HandlerMap,
  context: Record<string, unknown>,
  signals: Record<string, unknown> = {},
) {
  const results = new Map<string, unknown>();
  const attempts = new Map<string, number>();
  for (const name of topologicalOrder(template.steps)) {
    const step = template.steps.find((s) => s.name === name) as StepTemplate;
    if (step.type === 'wait') {
      expect(compileValidator(step.wait?.signalSchema ?? {})(signals[name])).toEqual({ ok: true });
      results.set(name, signals[name]);
      continue;
    }
    for (let attempt = 1; !results.has(name); attempt += 1) {
      attempts.set(name, attempt);
      try {
        results.set(name, await handlers[step.handler?.callable ?? '']?.(inputFor(step, context, results, attempt)));
      } catch (error) {
        if (!(error instanceof RetryableError) || attempt >= step.retry.maxAttempts) throw error;
      }
    }
  }
  return { results, attempts };
}

const templates = [
  ...(await loadTemplateDirectoryOrThrow('examples/order-workflow/templates')),
  ...(await loadTemplateDirectoryOrThrow('examples/patterns/templates')),
  ...(await loadTemplateDirectoryOrThrow('examples/approval/templates')),
];
const find = (name: string) => templates.find((t) => t.name === name) as TaskTemplate;

describe('example handler maps', () => {
  it('have a handler for every callable their templates name, and nothing else', () => {
    const byNamespace: Record<string, HandlerMap> = {
      ecommerce: orderHandlers,
      patterns: patternHandlers,
      approvals: approvalHandlers,
    };
    for (const [namespace, handlers] of Object.entries(byNamespace)) {
      const callables = new Set(
        templates
          .filter((t) => t.namespace === namespace)
          .flatMap((t) => t.steps.flatMap((s) => (s.handler ? [s.handler.callable] : []))),
      );
      expect(Object.keys(handlers).sort()).toEqual([...callables].sort());
    }
  });
});

describe('ecommerce/order_fulfillment', () => {
  const template = find('order_fulfillment');

  it('declares the agreed shape: fan-out after validate_order, fan-in at ship_order', () => {
    expect(template.steps.map((s) => [s.name, s.dependencies])).toEqual([
      ['validate_order', []],
      ['reserve_inventory', ['validate_order']],
      ['charge_payment', ['validate_order']],
      ['ship_order', ['reserve_inventory', 'charge_payment']],
      ['send_confirmation', ['ship_order']],
    ]);
  });

  it('input_schema accepts an order and refuses a bad one, naming the field', () => {
    const validate = compileValidator(template.inputSchema ?? {});
    expect(validate({ order })).toEqual({ ok: true });
    const bad = validate({ order: { ...order, customer: { email: 'nope' }, items: [{ sku: 'X', quantity: 0 }] } });
    expect(bad.ok ? [] : bad.problems).toEqual([
      '/order/customer/email must match format "email"',
      "/order/items/0 must have required property 'price'",
      '/order/items/0/quantity must be >= 1',
    ]);
  });

  it('runs end to end: charge_payment succeeds on its second attempt, data flows to the confirmation', async () => {
    const { results, attempts } = await runTemplate(template, orderHandlers, { order });
    expect(attempts.get('charge_payment')).toBe(2);
    expect(results.get('validate_order')).toMatchObject({ total: 28.3, item_count: 2 });
    expect(results.get('charge_payment')).toEqual({
      payment_id: 'pay-ord-1',
      amount: 28.3,
      currency: 'EUR',
      attempts: 2,
    });
    expect(results.get('reserve_inventory')).toEqual({
      reservation_id: 'res-ord-1',
      warehouse: 'eu-west-1a',
      reserved: { BOOK: 2, PEN: 3 },
    });
    expect(results.get('ship_order')).toEqual({
      order_id: 'ord-1',
      tracking_number: 'TRK-POSTNL-ord-1',
      carrier: 'postnl',
      reservation_id: 'res-ord-1',
      payment_id: 'pay-ord-1',
    });
    expect(results.get('send_confirmation')).toEqual({
      sent_to: 'ada@example.com',
      tracking_number: 'TRK-POSTNL-ord-1',
      message_id: 'msg-ord-1',
    });
  });

  it("ship_order's result matches the schema of ecommerce.order_shipped", async () => {
    const { results } = await runTemplate(template, orderHandlers, { order });
    const shipped = template.steps
      .find((s) => s.name === 'ship_order')
      ?.publishesEvents.find((e) => e.name === 'ecommerce.order_shipped');
    expect(shipped?.condition).toBe('success');
    expect(compileValidator(shipped?.schema ?? {})(results.get('ship_order'))).toEqual({ ok: true });
  });

  it('charge_payment fails retryably on attempt 1, deterministically', async () => {
    const step = template.steps.find((s) => s.name === 'charge_payment') as StepTemplate;
    const validated = await orderHandlers['ecommerce.validate_order']?.(
      inputFor(template.steps[0] as StepTemplate, { order }, new Map(), 1),
    );
    const input = (attempt: number) => inputFor(step, { order }, new Map([['validate_order', validated]]), attempt);
    for (let i = 0; i < 3; i += 1)
      expect(() => orderHandlers['ecommerce.charge_payment']?.(input(1))).toThrow(RetryableError);
    expect(orderHandlers['ecommerce.charge_payment']?.(input(2))).toMatchObject({ attempts: 2 });
  });

  it('charge_payment declines for good with tok_declined, which fires ecommerce.payment_failed', async () => {
    const run = runTemplate(template, orderHandlers, { order: { ...order, payment_token: 'tok_declined' } });
    await expect(run).rejects.toThrow(PermanentError);
    await expect(run).rejects.toMatchObject({ code: 'card_declined' });
    const charge = template.steps.find((s) => s.name === 'charge_payment');
    expect(charge?.publishesEvents).toEqual([{ name: 'ecommerce.payment_failed', condition: 'permanent_failure' }]);
  });

  it('validate_order refuses more items than configured, permanently', () => {
    const step = {
      ...(template.steps[0] as StepTemplate),
      handler: { callable: 'ecommerce.validate_order', initialization: { max_items: 1 } },
    };
    expect(() => orderHandlers['ecommerce.validate_order']?.(inputFor(step, { order }, new Map(), 1))).toThrow(
      /at most 1 allowed/,
    );
  });

  it('retry settings keep a local run short', () => {
    const retried = template.steps.filter((s) => s.retry.retryable && s.retry.maxAttempts > 1);
    expect(retried.map((s) => s.name)).toContain('charge_payment');
    for (const step of retried) expect(step.retry.maxBackoffMs).toBeLessThanOrEqual(200);
  });
});

describe('patterns', () => {
  it.each([
    ['linear_workflow', 'linear_step_4', 2 ** 16],
    ['diamond_workflow', 'diamond_end', 2 ** 8],
    ['tree_workflow', 'tree_final_convergence', 2 ** 32],
    ['mixed_dag_workflow', 'dag_finalize', 3 * 2 ** 8],
  ])('%s carries data along every edge', async (name, last, expected) => {
    const template = find(name);
    const { results } = await runTemplate(template, patternHandlers, { even_number: 2 });
    expect(results.get(last)).toMatchObject({ value: expected });
    for (const step of template.steps) {
      const from = step.dependencies.length === 0 ? ['context.even_number'] : [...step.dependencies].sort();
      expect(results.get(step.name)).toMatchObject({ from });
    }
  });

  it('refuses a dependency result without a number, permanently', () => {
    const template = find('diamond_workflow');
    const end = template.steps.find((s) => s.name === 'diamond_end') as StepTemplate;
    const input = inputFor(
      end,
      {},
      new Map([
        ['diamond_branch_b', { value: 'x' }],
        ['diamond_branch_c', { value: 1 }],
      ]),
      1,
    );
    expect(() => patternHandlers['patterns.multiply']?.(input)).toThrow(PermanentError);
  });
});

describe('approvals/purchase_approval', () => {
  const template = find('purchase_approval');
  const context = { item: 'standing desk', amount: 1200 };

  it('waits for manager_approval (no handler), whose signal place_order receives', async () => {
    expect(template.steps.find((s) => s.name === 'manager_approval')).toMatchObject({
      type: 'wait',
      timeoutSeconds: 86_400,
      wait: { onTimeout: 'fail' },
    });
    const { results } = await runTemplate(template, approvalHandlers, context, {
      manager_approval: { approved: true, approver: 'grace' },
    });
    expect(results.get('place_order')).toMatchObject({ amount: 1200, approved_by: 'grace' });
  });

  it('fails place_order for good when the manager said no', async () => {
    const run = runTemplate(template, approvalHandlers, context, {
      manager_approval: { approved: false, approver: 'grace', note: 'over budget' },
    });
    await expect(run).rejects.toThrow(PermanentError);
    await expect(run).rejects.toMatchObject({ code: 'rejected' });
  });

  it("manager_approval's signal_schema refuses a decision without its approver", () => {
    const schema = template.steps.find((s) => s.name === 'manager_approval')?.wait?.signalSchema ?? {};
    expect(compileValidator(schema)({ approved: true })).toEqual({
      ok: false,
      problems: ["(root) must have required property 'approver'"],
    });
  });
});
