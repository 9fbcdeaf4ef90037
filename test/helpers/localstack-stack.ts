import { randomUUID } from 'node:crypto';
import {
  CreateEventBusCommand,
  DeleteEventBusCommand,
  DeleteRuleCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  type EventBridgeClient,
  type Target,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { IConstruct } from 'constructs';
import { TaskerEngine } from '../../cdk/tasker-engine.js';
import type { TaskerEngineProps } from '../../cdk/tasker-engine-props.js';
import { ENV } from '../../lib/contracts/runtime-config.js';
import { awsRegion, createEventBridgeClient, createSqsClient } from '../../lib/lambda/aws-clients.js';
import { entryProps, testApp } from '../cdk/support/synth.js';
import { evaluate, logicalIdOf } from '../cdk/support/template-queries.js';

/**
 * A TaskerEngine stack on LocalStack: the construct is synthesized (asset bundling skipped) and
 * exactly the queues, the event bus and the event-pattern rules its template declares are created,
 * named under a prefix unique to the test file, plus a capture queue subscribed by a rule to every
 * `tasker.*` source on the bus. Endpoints come from the SDK's environment (AWS_ENDPOINT_URL).
 */

export type CfnTemplate = { Resources: Record<string, CfnResource> };
interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

export type EngineStackProps = Omit<Partial<TaskerEngineProps>, 'database'>;

export interface SynthesizedEngine {
  readonly stack: Stack;
  readonly engine: TaskerEngine;
  readonly template: CfnTemplate;
}

/** A TaskerEngine on an existing database (the variant with the fewest resources), synthesized without bundling. */
export function synthesizeEngine(props: EngineStackProps = {}): SynthesizedEngine {
  const stack = new Stack(testApp(), 'LocalstackE2E');
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-0123456789abcdef0',
    availabilityZones: ['us-east-1a'],
    privateSubnetIds: ['subnet-0123456789abcdef0'],
    privateSubnetRouteTableIds: ['rtb-0123456789abcdef0'],
  });
  const secret = secretsmanager.Secret.fromSecretCompleteArn(
    stack,
    'DatabaseSecret',
    'arn:aws:secretsmanager:us-east-1:000000000000:secret:tasker-e2e-AbCdEf',
  );
  const engine = new TaskerEngine(stack, 'Engine', {
    database: { kind: 'existing', vpc, secret },
    ...entryProps(),
    ...props,
  });
  return { stack, engine, template: Template.fromStack(stack).toJSON() as CfnTemplate };
}

/** A queue created on LocalStack for one queue of the template (or the capture queue). */
export interface QueueHandle {
  /** The construct's label: `dispatch`, `dispatch-<ns>`, `completion`, `<label>-dlq`, `poison`, `domain-event-dlq`, `event-target-dlq`, `capture`. */
  readonly label: string;
  readonly logicalId: string | undefined;
  readonly name: string;
  readonly url: string;
  readonly arn: string;
}

export interface QueueDepth {
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
}

export interface LocalstackStack {
  readonly prefix: string;
  readonly synth: SynthesizedEngine;
  readonly template: CfnTemplate;
  readonly busName: string;
  readonly queues: ReadonlyMap<string, QueueHandle>;
  readonly capture: QueueHandle;
  /** Rule names created on LocalStack (the template's event-pattern rules and the capture rule). */
  readonly rules: readonly string[];
  /** The engine's environment as the runtime reads it (ENV names): the orchestration functions' variables and the step handler's queues. */
  readonly env: Readonly<Record<string, string>>;
  queue(label: string): QueueHandle;
  logicalId(construct: IConstruct): string;
  /** A function's environment variables with every reference resolved (the ENV names only; no database secret). */
  functionEnv(fn: IConstruct): Record<string, string>;
  /** The queues a function's event source mappings read. */
  eventSourceQueues(fn: IConstruct): QueueHandle[];
  /** A pull pool's `environment`, resolved. */
  pullEnv(namespace: string): Record<string, string>;
  depth(label: string): Promise<QueueDepth>;
  /** Messages on every dead-letter queue (visible + in flight + delayed), by label. */
  deadLetterDepths(): Promise<Record<string, number>>;
  /** Deletes every rule, target, the bus and every queue created; idempotent. */
  teardown(): Promise<void>;
}

/** A reference to something the stack helper did not create (a secret, a function, a topic). */
export class UnresolvedReferenceError extends Error {
  override readonly name = 'UnresolvedReferenceError';
}

const RUNTIME_ENV_NAMES = new Set<string>(
  Object.values(ENV).filter(
    (name) => name !== ENV.databaseSecretArn && name !== ENV.databaseRuntimeSecretArn && name !== ENV.databaseHost,
  ),
);
const QUEUE_ATTRIBUTES: Record<string, (value: unknown, ref: Resolver) => string> = {
  VisibilityTimeout: String,
  MessageRetentionPeriod: String,
  DelaySeconds: String,
  MaximumMessageSize: String,
  ReceiveMessageWaitTimeSeconds: String,
  SqsManagedSseEnabled: String,
  RedrivePolicy: (value, ref) => JSON.stringify(resolveDeep(value, ref)),
  RedriveAllowPolicy: (value, ref) => JSON.stringify(resolveDeep(value, ref)),
};
/** Properties that name the resource: the helper names it itself, under the prefix. */
const NAMING_PROPERTIES = new Set(['QueueName']);

type Resolver = (id: string, attribute: string | undefined) => string;

/** Creates the stack's queues, bus and rules on LocalStack; tears down what it created if any step fails. */
export async function createLocalstackStack(
  synth: SynthesizedEngine,
  options: { prefix: string },
): Promise<LocalstackStack> {
  const prefix = `${options.prefix}-${randomUUID().slice(0, 6)}`;
  const resources = new Resources(prefix, synth);
  try {
    await resources.create();
  } catch (error) {
    await resources.teardown().catch(() => undefined);
    throw error;
  }
  return resources.view();
}

class Resources {
  private readonly sqs: SQSClient = createSqsClient();
  private readonly events: EventBridgeClient = createEventBridgeClient();
  private readonly queues = new Map<string, QueueHandle>();
  private readonly byLogicalId = new Map<string, QueueHandle>();
  private readonly rules: string[] = [];
  private readonly ruleTargets = new Map<string, string[]>();
  private busName: string | undefined;
  private busArn: string | undefined;
  private busLogicalId: string | undefined;
  private tornDown: Promise<void> | undefined;
  private readonly resources: Record<string, CfnResource>;
  private readonly roles: Map<string, string>;

  constructor(
    private readonly prefix: string,
    private readonly synth: SynthesizedEngine,
  ) {
    this.resources = synth.template.Resources;
    this.roles = queueRoles(synth.engine);
  }

  async create(): Promise<void> {
    await this.createQueues();
    await this.createBus();
    await this.createRules();
    await this.createCapture();
  }

  /** Dead-letter targets first, so a redrive policy can name the created queue's ARN. */
  private async createQueues(): Promise<void> {
    const ids = Object.keys(this.resources).filter((id) => this.resources[id]!.Type === 'AWS::SQS::Queue');
    const unknown = ids.filter((id) => !this.roles.has(id));
    if (unknown.length > 0)
      throw new Error(
        `the template declares queues the stack helper cannot map to a role of TaskerEngine.queues: ${unknown.join(', ')}`,
      );
    const redriven = (id: string) => this.resources[id]!.Properties?.RedrivePolicy !== undefined;
    for (const id of [...ids.filter((i) => !redriven(i)), ...ids.filter(redriven)]) await this.createQueue(id);
  }

  private async createQueue(logicalId: string): Promise<void> {
    const label = this.roles.get(logicalId) as string;
    const attributes: Record<string, string> = {};
    for (const [key, value] of Object.entries(this.resources[logicalId]!.Properties ?? {})) {
      if (NAMING_PROPERTIES.has(key)) continue;
      const translate = QUEUE_ATTRIBUTES[key];
      if (translate === undefined)
        throw new Error(
          `queue ${logicalId} declares ${key}, which the stack helper does not translate to an SQS attribute`,
        );
      attributes[key] = translate(value, this.resolver);
    }
    const handle = await this.newQueue(label, logicalId, attributes);
    this.byLogicalId.set(logicalId, handle);
  }

  private async newQueue(
    label: string,
    logicalId: string | undefined,
    attributes: Record<string, string>,
  ): Promise<QueueHandle> {
    const name = `${this.prefix}-${label}`.slice(0, 80);
    const url = (await this.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes })))
      .QueueUrl as string;
    const queueAttributes = await this.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
    );
    const handle: QueueHandle = { label, logicalId, name, url, arn: queueAttributes.Attributes?.QueueArn as string };
    this.queues.set(label, handle);
    return handle;
  }

  private async createBus(): Promise<void> {
    const buses = Object.keys(this.resources).filter((id) => this.resources[id]!.Type === 'AWS::Events::EventBus');
    if (buses.length !== 1) throw new Error(`expected one event bus in the template, found ${buses.length}`);
    this.busLogicalId = buses[0];
    this.busName = `${this.prefix}-bus`;
    const created = await this.events.send(new CreateEventBusCommand({ Name: this.busName }));
    this.busArn = created.EventBusArn;
  }

  /** Every rule with an event pattern on our bus; its targets that are queues of ours become real targets. */
  private async createRules(): Promise<void> {
    for (const [id, resource] of Object.entries(this.resources)) {
      if (resource.Type !== 'AWS::Events::Rule' || resource.Properties?.EventPattern === undefined) continue;
      const props = resource.Properties;
      if (props.EventBusName === undefined || evaluate(props.EventBusName, this.resolver) !== this.busName) continue;
      const name = `${this.prefix}-${id}`.slice(0, 64);
      await this.putRule(
        name,
        resolveDeep(props.EventPattern, this.resolver),
        props.State === 'DISABLED' ? 'DISABLED' : 'ENABLED',
      );
      await this.putTargets(
        name,
        ((props.Targets as Record<string, unknown>[] | undefined) ?? []).flatMap((t) => this.ownTarget(t)),
      );
    }
  }

  private ownTarget(target: Record<string, unknown>): Target[] {
    const arn = this.ownQueueArn(target.Arn);
    if (arn === undefined) return [];
    const dlq = this.ownQueueArn((target.DeadLetterConfig as { Arn?: unknown } | undefined)?.Arn);
    return [
      {
        Id: String(target.Id),
        Arn: arn,
        ...(dlq ? { DeadLetterConfig: { Arn: dlq } } : {}),
        ...(target.RetryPolicy ? { RetryPolicy: target.RetryPolicy as Target['RetryPolicy'] } : {}),
        ...(target.InputPath ? { InputPath: String(target.InputPath) } : {}),
      },
    ];
  }

  private ownQueueArn(value: unknown): string | undefined {
    if (value === undefined) return undefined;
    try {
      const arn = evaluate(value, this.resolver);
      return [...this.queues.values()].some((q) => q.arn === arn) ? arn : undefined;
    } catch (error) {
      if (error instanceof UnresolvedReferenceError) return undefined;
      throw error;
    }
  }

  private async createCapture(): Promise<void> {
    const capture = await this.newQueue('capture', undefined, {});
    const name = `${this.prefix}-capture`;
    await this.putRule(name, { source: [{ prefix: 'tasker.' }] }, 'ENABLED');
    await this.putTargets(name, [{ Id: 'capture', Arn: capture.arn }]);
  }

  private async putRule(name: string, pattern: unknown, state: 'ENABLED' | 'DISABLED'): Promise<void> {
    await this.events.send(
      new PutRuleCommand({
        Name: name,
        EventBusName: this.busName,
        EventPattern: JSON.stringify(pattern),
        State: state,
      }),
    );
    this.rules.push(name);
  }

  private async putTargets(rule: string, targets: Target[]): Promise<void> {
    if (targets.length === 0) return;
    const out = await this.events.send(
      new PutTargetsCommand({ Rule: rule, EventBusName: this.busName, Targets: targets }),
    );
    if ((out.FailedEntryCount ?? 0) > 0)
      throw new Error(`PutTargets on ${rule} failed: ${JSON.stringify(out.FailedEntries)}`);
    this.ruleTargets.set(
      rule,
      targets.map((t) => t.Id as string),
    );
  }

  /** Ref / Fn::GetAtt of what was created: queues (URL, Arn, QueueName), the bus (name, Arn), the pseudo parameters. */
  private readonly resolver: Resolver = (id, attribute) => {
    const queue = this.byLogicalId.get(id);
    if (queue) return attribute === 'Arn' ? queue.arn : attribute === 'QueueName' ? queue.name : queue.url;
    if (id === this.busLogicalId && this.busName) return attribute === 'Arn' ? (this.busArn as string) : this.busName;
    const anyArn = [...this.queues.values()][0]?.arn.split(':');
    const pseudo: Record<string, string | undefined> = {
      'AWS::Region': awsRegion(),
      'AWS::AccountId': anyArn?.[4],
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
    };
    const value = pseudo[id];
    if (value !== undefined) return value;
    throw new UnresolvedReferenceError(
      `${id}${attribute ? `.${attribute}` : ''} is not a resource the stack helper created`,
    );
  };

  functionEnv(fn: IConstruct): Record<string, string> {
    const id = this.logicalIdOfFunction(fn);
    const variables = ((
      this.resources[id]?.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined
    )?.Variables ?? {}) as Record<string, unknown>;
    return this.resolveEnv(variables);
  }

  private resolveEnv(variables: Record<string, unknown>): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(variables))
      if (RUNTIME_ENV_NAMES.has(name)) env[name] = evaluate(value, this.resolver);
    return env;
  }

  private logicalIdOfFunction(fn: IConstruct): string {
    const id = logicalIdOf(fn);
    if (this.resources[id]?.Type !== 'AWS::Lambda::Function')
      throw new Error(`${fn.node.path} is not a function of the template`);
    return id;
  }

  eventSourceQueues(fn: IConstruct): QueueHandle[] {
    const id = this.logicalIdOfFunction(fn);
    return Object.values(this.resources)
      .filter(
        (r) =>
          r.Type === 'AWS::Lambda::EventSourceMapping' &&
          (r.Properties?.FunctionName as { Ref?: string } | undefined)?.Ref === id,
      )
      .map((r) => {
        const arn = r.Properties?.EventSourceArn as { 'Fn::GetAtt'?: [string, string] } | undefined;
        const queueId = (arn?.['Fn::GetAtt'] ?? [])[0] as string;
        const queue = this.byLogicalId.get(queueId);
        if (!queue) throw new Error(`the event source of ${id} reads ${queueId}, which was not created`);
        return queue;
      });
  }

  pullEnv(namespace: string): Record<string, string> {
    const pool = this.synth.engine.workerPools.get(namespace);
    if (pool?.kind !== 'pull') throw new Error(`no pull pool '${namespace}' in the stack`);
    return this.resolveEnv(this.synth.stack.resolve(pool.environment) as Record<string, unknown>);
  }

  /** The completion function's variables (orchestration: every dispatch queue, completion, bus, timing) and the step handler's queues. */
  engineEnv(): Record<string, string> {
    const engine = this.synth.engine;
    const stepHandler =
      engine.stepHandler ?? [...engine.workerPools.values()].find((p) => p.kind === 'lambda')?.function;
    const handlerEnv = stepHandler ? this.functionEnv(stepHandler) : {};
    const pick = (name: string) => (handlerEnv[name] === undefined ? {} : { [name]: handlerEnv[name] as string });
    return {
      ...this.functionEnv(engine.completionHandler),
      ...pick(ENV.poisonQueueUrl),
      ...pick(ENV.domainEventDlqUrl),
    };
  }

  async depth(label: string): Promise<QueueDepth> {
    const url = this.queueHandle(label).url;
    const names = [
      'ApproximateNumberOfMessages',
      'ApproximateNumberOfMessagesNotVisible',
      'ApproximateNumberOfMessagesDelayed',
    ] as const;
    const out = await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: [...names] }));
    const n = (name: (typeof names)[number]) => Number(out.Attributes?.[name] ?? 0);
    return { visible: n(names[0]), inFlight: n(names[1]), delayed: n(names[2]) };
  }

  async deadLetterDepths(): Promise<Record<string, number>> {
    const labels = [...this.queues.keys()].filter((label) => label.endsWith('-dlq'));
    const depths = await Promise.all(
      labels.map(async (label) => {
        const d = await this.depth(label);
        return [label, d.visible + d.inFlight + d.delayed] as const;
      }),
    );
    return Object.fromEntries(depths);
  }

  queueHandle(label: string): QueueHandle {
    const queue = this.queues.get(label);
    if (!queue) throw new Error(`no queue '${label}' (have: ${[...this.queues.keys()].join(', ')})`);
    return queue;
  }

  teardown(): Promise<void> {
    this.tornDown ??= this.deleteAll();
    return this.tornDown;
  }

  private async deleteAll(): Promise<void> {
    const problems: string[] = [];
    const attempt = (what: string, run: () => Promise<unknown>) =>
      run().catch((error: unknown) =>
        problems.push(`${what}: ${error instanceof Error ? error.message : String(error)}`),
      );
    for (const rule of this.rules) {
      const ids = this.ruleTargets.get(rule);
      if (ids)
        await attempt(`targets of ${rule}`, () =>
          this.events.send(new RemoveTargetsCommand({ Rule: rule, EventBusName: this.busName, Ids: ids })),
        );
      await attempt(`rule ${rule}`, () =>
        this.events.send(new DeleteRuleCommand({ Name: rule, EventBusName: this.busName })),
      );
    }
    if (this.busName)
      await attempt(`bus ${this.busName}`, () => this.events.send(new DeleteEventBusCommand({ Name: this.busName })));
    await Promise.all(
      [...this.queues.values()].map((q) =>
        attempt(`queue ${q.name}`, () => this.sqs.send(new DeleteQueueCommand({ QueueUrl: q.url }))),
      ),
    );
    this.sqs.destroy();
    this.events.destroy();
    if (problems.length > 0) throw new Error(`teardown left resources behind:\n  ${problems.join('\n  ')}`);
  }

  view(): LocalstackStack {
    const capture = this.queueHandle('capture');
    return {
      prefix: this.prefix,
      synth: this.synth,
      template: this.synth.template,
      busName: this.busName as string,
      queues: this.queues,
      capture,
      rules: [...this.rules],
      env: this.engineEnv(),
      queue: (label) => this.queueHandle(label),
      logicalId: (construct) => logicalIdOf(construct),
      functionEnv: (fn) => this.functionEnv(fn),
      eventSourceQueues: (fn) => this.eventSourceQueues(fn),
      pullEnv: (namespace) => this.pullEnv(namespace),
      depth: (label) => this.depth(label),
      deadLetterDepths: () => this.deadLetterDepths(),
      teardown: () => this.teardown(),
    };
  }
}

/** logical id -> the construct's label, from TaskerEngine.queues (never from names). */
function queueRoles(engine: TaskerEngine): Map<string, string> {
  const roles = new Map<string, string>();
  const q = engine.queues;
  for (const work of q.work) {
    roles.set(logicalIdOf(work.queue), work.label);
    roles.set(logicalIdOf(work.deadLetterQueue), `${work.label}-dlq`);
  }
  for (const terminal of [q.poison, q.domainEventDlq, q.eventTargetDlq])
    roles.set(logicalIdOf(terminal.queue), terminal.label);
  return roles;
}

/** A JSON value with every intrinsic (`Ref`, `Fn::GetAtt`, `Fn::Join`) replaced by its value. */
function resolveDeep(value: unknown, ref: Resolver): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveDeep(v, ref));
  if (typeof value !== 'object' || value === null) return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'))) return evaluate(value, ref);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveDeep(v, ref)]));
}
