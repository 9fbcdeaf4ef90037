import { peekQuery, redriveRequest } from '../contracts/api-requests.js';
import { retryOf } from '../orchestration/orchestration-deps.js';
import { redriveDomainEvents } from '../worker/redrive-domain-events.js';
import type { DeadLetterQueue } from './api-deps.js';
import { ok, parseInput, refuse, type ApiResponse, type RouteCall } from './api-call.js';
import { peekDeadLetters, redriveDeadLetters } from './dead-letters.js';

/** `POST /events/redrive` with `{max_messages?, include_refused?}`: parked domain events back on the bus. */
export async function redriveEventsRoute({ deps, body, actor }: RouteCall): Promise<ApiResponse> {
  const parsed = parseInput(redriveRequest, body, 'request');
  if (!parsed.ok) return parsed.response;
  if (!deps.queue || !deps.domainEventDlqUrl)
    return refuse(503, 'not_configured', 'this deployment has no domain-event dead-letter queue configured');
  const report = await redriveDomainEvents(
    {
      queue: deps.queue,
      bus: deps.orchestration.events,
      dlqUrl: deps.domainEventDlqUrl,
      logger: deps.orchestration.logger,
    },
    { maxMessages: parsed.value.max_messages, includeRefused: parsed.value.include_refused },
  );
  deps.orchestration.logger.info('operator redrove domain events', { actor, ...report });
  return ok(report);
}

/** `GET /dead-letters`: each queue with its approximate message count. */
export async function listDeadLettersRoute({ deps }: RouteCall): Promise<ApiResponse> {
  const queues = await Promise.all(
    deps.deadLetters.map(async (q) => ({
      name: q.name,
      returns_to: q.redriveTo ?? 'source_queue',
      messages: await countOf(deps, q),
    })),
  );
  return ok({ queues });
}

/** `GET /dead-letters/{queue}?max_messages=`: messages shown and left on the queue. */
export async function peekDeadLettersRoute(call: RouteCall): Promise<ApiResponse> {
  const parsed = parseInput(peekQuery, call.query, 'query');
  if (!parsed.ok) return parsed.response;
  const found = deadLetterQueue(call);
  if (!found.ok) return found.response;
  return ok({
    queue: found.dlq.name,
    messages: await peekDeadLetters(found.queue, found.dlq, parsed.value.max_messages),
  });
}

/** `POST /dead-letters/{queue}/redrive` with `{max_messages?}`: messages back to where they came from. */
export async function redriveDeadLettersRoute(call: RouteCall): Promise<ApiResponse> {
  const parsed = parseInput(redriveRequest, call.body, 'request');
  if (!parsed.ok) return parsed.response;
  const found = deadLetterQueue(call);
  if (!found.ok) return found.response;
  const { deps } = call;
  const report = await redriveDeadLetters(
    found.queue,
    deps.orchestration.queues,
    found.dlq,
    deps.deadLetters,
    parsed.value.max_messages,
    retryOf(deps.orchestration),
  );
  deps.orchestration.logger.info('operator redrove a dead-letter queue', {
    queue: found.dlq.name,
    actor: call.actor,
    ...report,
  });
  return ok(report);
}

function deadLetterQueue({ deps, params }: RouteCall) {
  const name = params.queue!;
  const dlq = deps.deadLetters.find((q) => q.name === name);
  if (!dlq)
    return {
      ok: false as const,
      response: refuse(404, 'unknown_queue', `no dead-letter queue '${name}'`, [
        `queues: ${deps.deadLetters.map((q) => q.name).join(', ')}`,
      ]),
    };
  if (!deps.queue)
    return { ok: false as const, response: refuse(503, 'not_configured', 'this deployment reads no queues') };
  return { ok: true as const, dlq, queue: deps.queue };
}

async function countOf(deps: RouteCall['deps'], q: DeadLetterQueue): Promise<number | null> {
  if (!deps.counts) return null;
  try {
    const c = await deps.counts.countMessages(q.url);
    return c.visible + c.inFlight + c.delayed;
  } catch {
    return null;
  }
}
