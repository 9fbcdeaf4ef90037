import { ConfigurationError } from '../lambda/config.js';
import type { QueueUrls, TransportKind } from './embedded-transport.js';
import { refTarget } from './lambda-settings.js';

/**
 * Namespaces left to pull workers outside the runtime (`tasker dev --pull <ns>`, or a stack template's
 * `workerPools` of `kind: 'pull'`): the runtime starts no in-process step handler on their dispatch queues,
 * so a worker in any language (docs/protocol/worker-protocol.md) takes their steps.
 */

type Resources = Record<string, { Type?: string; Properties?: Record<string, unknown> }>;

/**
 * The namespaces a synthesized TaskerEngine stack serves with pull workers: every namespace of the completion
 * function's TASKER_NAMESPACE_QUEUE_URLS whose queue no Lambda event source mapping reads.
 *
 * @example
 * ```ts
 * pullNamespacesFromTemplate(JSON.parse(readFileSync('cdk.out/Tasker.template.json', 'utf8'))); // ['pyw']
 * ```
 */
export function pullNamespacesFromTemplate(template: unknown): string[] {
  const resources = ((template as { Resources?: unknown } | null)?.Resources ?? {}) as Resources;
  const read = new Set(
    Object.values(resources)
      .filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping')
      .map((r) => refTarget(r.Properties?.EventSourceArn)),
  );
  const routes = new Map<string, string>();
  for (const r of Object.values(resources)) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    const variables = (r.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables;
    for (const [ns, queueId] of namespaceRoutes(variables?.TASKER_NAMESPACE_QUEUE_URLS)) routes.set(ns, queueId);
  }
  return [...routes].filter(([, queueId]) => !read.has(queueId)).map(([ns]) => ns);
}

/** `{"Fn::Join": ["", ['{"ns":"', {Ref: queue}, '","other":"', ...]]}` → [ns, queue logical id] pairs. */
function namespaceRoutes(value: unknown): [string, string][] {
  const join = (value as { 'Fn::Join'?: unknown } | undefined)?.['Fn::Join'];
  const parts = Array.isArray(join) && Array.isArray(join[1]) ? (join[1] as unknown[]) : [];
  const pairs: [string, string][] = [];
  parts.forEach((part, i) => {
    const queueId = refTarget(part);
    const before = parts[i - 1];
    const ns = typeof before === 'string' ? /"([^"]+)":"$/.exec(before)?.[1] : undefined;
    if (queueId !== undefined && ns !== undefined) pairs.push([ns, queueId]);
  });
  return pairs;
}

/**
 * The dispatch queues the in-process step handler consumes: every queue of the transport except the pulled
 * namespaces'. Throws a ConfigurationError naming every pulled namespace that cannot be left to an outside worker:
 * on the in-process transport (no other process reaches its queues), or without a queue of its own (the default
 * queue is the in-process handler's).
 *
 * @example
 * ```ts
 * servedDispatchQueues(transport.urls, 'aws', ['pyw']); // every dispatch URL but TASKER_NAMESPACE_QUEUE_URLS.pyw
 * ```
 */
export function servedDispatchQueues(urls: QueueUrls, kind: TransportKind, pulled: readonly string[]): string[] {
  const problems = pulled.flatMap((ns) => {
    if (kind === 'memory')
      return [
        `namespace "${ns}" is left to pull workers, but the queues are in-process: use --transport aws (queues on LocalStack: tasker local-aws create --namespace ${ns})`,
      ];
    if (urls.namespaceDispatch[ns] === undefined)
      return [
        `namespace "${ns}" is left to pull workers but has no queue of its own: add it to TASKER_NAMESPACE_QUEUE_URLS (tasker local-aws create --namespace ${ns} prints it)`,
      ];
    return [];
  });
  if (problems.length > 0) throw new ConfigurationError(problems);
  const skipped = new Set(pulled.map((ns) => urls.namespaceDispatch[ns]));
  return [urls.dispatch, ...Object.values(urls.namespaceDispatch)].filter(
    (url): url is string => url !== undefined && !skipped.has(url),
  );
}
