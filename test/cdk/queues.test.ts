import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { synthEngine } from './support/synth.js';
import { asArray, logicalIdOf, referencedId, resourceOf, resourcesOf } from './support/template-queries.js';

const defaults = synthEngine();
const custom = synthEngine({
  handlerTimeout: Duration.seconds(120),
  maxBatchingWindow: Duration.seconds(20),
  dispatchBatchSize: 5,
  namespaceQueues: ['billing', 'shipping'],
  maxConcurrentHandlers: 12,
  maxReceiveCount: 8,
  completion: { timeout: Duration.seconds(45), maxBatchingWindow: Duration.seconds(5) },
});

/** Queues some redrive policy, or some rule target, names as its dead-letter queue. */
function deadLetterTargets(template: Template): Set<string> {
  const targets = new Set<string>();
  for (const q of Object.values(resourcesOf(template, 'AWS::SQS::Queue'))) {
    const id = referencedId(q.Properties.RedrivePolicy?.deadLetterTargetArn);
    if (id) targets.add(id);
  }
  for (const rule of Object.values(resourcesOf(template, 'AWS::Events::Rule'))) {
    for (const target of asArray<any>(rule.Properties.Targets)) {
      const id = referencedId(target.DeadLetterConfig?.Arn);
      if (id) targets.add(id);
    }
  }
  return targets;
}

describe.each([
  ['defaults', defaults],
  ['custom timeouts and namespace queues', custom],
])('queues (%s)', (_name, { template, engine }) => {
  const queues = resourcesOf(template, 'AWS::SQS::Queue');
  const written = new Set([engine.queues.poison, engine.queues.domainEventDlq].map((t) => logicalIdOf(t.queue)));

  it('encrypts every queue at rest', () => {
    for (const [id, q] of Object.entries(queues))
      expect(q.Properties.SqsManagedSseEnabled === true || q.Properties.KmsMasterKeyId !== undefined, id).toBe(true);
  });

  it('gives every queue that is not itself a dead-letter or poison queue a redrive policy with maxReceiveCount >= 5', () => {
    const deadLetters = deadLetterTargets(template);
    for (const [id, q] of Object.entries(queues)) {
      if (deadLetters.has(id) || written.has(id)) continue;
      expect(q.Properties.RedrivePolicy?.maxReceiveCount, `${id} has no redrive policy`).toBeGreaterThanOrEqual(5);
    }
  });

  it('consumes only queues that have a redrive policy', () => {
    for (const esm of Object.values(resourcesOf(template, 'AWS::Lambda::EventSourceMapping'))) {
      const queue = queues[referencedId(esm.Properties.EventSourceArn)!]!;
      expect(queue.Properties.RedrivePolicy?.maxReceiveCount).toBeGreaterThanOrEqual(5);
    }
  });

  it('keeps dead letters (14 days) longer than any source queue keeps messages', () => {
    for (const q of Object.values(queues)) {
      const dlqId = referencedId(q.Properties.RedrivePolicy?.deadLetterTargetArn);
      if (!dlqId) continue;
      expect(queues[dlqId]!.Properties.MessageRetentionPeriod).toBeGreaterThan(q.Properties.MessageRetentionPeriod);
    }
  });

  it("sets each consumed queue's visibility timeout to at least 6 x the function timeout + the batching window", () => {
    const functions = resourcesOf(template, 'AWS::Lambda::Function');
    const mappings = Object.values(resourcesOf(template, 'AWS::Lambda::EventSourceMapping'));
    expect(mappings.length).toBe(engine.queues.work.length);
    for (const esm of mappings) {
      const fn = functions[referencedId(esm.Properties.FunctionName)!]!;
      const queue = queues[referencedId(esm.Properties.EventSourceArn)!]!;
      const window = esm.Properties.MaximumBatchingWindowInSeconds ?? 0;
      expect(queue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * fn.Properties.Timeout + window);
    }
  });

  it('accepts only TLS connections on every queue', () => {
    const policies = Object.values(resourcesOf(template, 'AWS::SQS::QueuePolicy'));
    for (const id of Object.keys(queues)) {
      const tlsOnly = policies.some(
        (p) =>
          p.Properties.Queues.some((q: unknown) => referencedId(q) === id) &&
          asArray<any>(p.Properties.PolicyDocument.Statement).some(
            (s) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false',
          ),
      );
      expect(tlsOnly, id).toBe(true);
    }
  });
});

describe('queue settings', () => {
  it('computes the dispatch visibility timeout as 6 x handler timeout + batching window', () => {
    expect(resourceOf(defaults.template, defaults.engine.queues.dispatch!.queue).Properties.VisibilityTimeout).toBe(
      180,
    );
    expect(resourceOf(custom.template, custom.engine.queues.dispatch!.queue).Properties.VisibilityTimeout).toBe(
      6 * 120 + 20,
    );
    expect(resourceOf(custom.template, custom.engine.queues.completion.queue).Properties.VisibilityTimeout).toBe(
      6 * 45 + 5,
    );
  });

  it('creates one dispatch queue (and dead-letter queue) per extra namespace, with the configured maxReceiveCount', () => {
    expect([...custom.engine.queues.namespaceDispatch.keys()]).toEqual(['billing', 'shipping']);
    for (const work of custom.engine.queues.allDispatch) {
      expect(resourceOf(custom.template, work.queue).Properties.RedrivePolicy.maxReceiveCount).toBe(8);
    }
  });

  it("refuses the poison and event dead-letter queues as anyone's redrive target", () => {
    const { poison, domainEventDlq, eventTargetDlq } = defaults.engine.queues;
    for (const t of [poison, domainEventDlq, eventTargetDlq]) {
      expect(resourceOf(defaults.template, t.queue).Properties.RedriveAllowPolicy).toEqual({
        redrivePermission: 'denyAll',
      });
    }
  });
});

describe('queues on stack deletion', () => {
  const policies = ({ template, engine }: typeof defaults) => {
    const queues = resourcesOf(template, 'AWS::SQS::Queue');
    const of = (ids: string[]) => ids.map((id) => [queues[id]!.DeletionPolicy, queues[id]!.UpdateReplacePolicy]);
    return {
      terminal: of(engine.queues.terminal.map((t) => logicalIdOf(t.queue))),
      work: of(engine.queues.work.map((w) => logicalIdOf(w.queue))),
    };
  };

  it('retains every dead-letter queue, the poison queue and the parked events by default; the work queues go', () => {
    const { terminal, work } = policies(custom);
    expect(terminal.length).toBe(custom.engine.queues.work.length + 3);
    for (const policy of terminal) expect(policy).toEqual(['Retain', 'Retain']);
    for (const policy of work) expect(policy).toEqual(['Delete', 'Delete']);
  });

  it('deletes them with the stack when deadLetterRemovalPolicy says so', () => {
    const { terminal } = policies(synthEngine({ deadLetterRemovalPolicy: RemovalPolicy.DESTROY }));
    for (const policy of terminal) expect(policy).toEqual(['Delete', 'Delete']);
  });
});
