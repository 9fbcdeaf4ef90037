import { createServer, type AddressInfo } from 'node:net';
import { describe, it } from 'vitest';
import type { QueueReceiver, ReceivedMessage } from '../../lib/ports/message-queue.js';

/**
 * LocalStack for integration suites. The endpoint comes only from AWS_ENDPOINT_URL
 * (`source <(bash .ci/localstack.sh env)`). Without a reachable LocalStack a suite is skipped on a
 * laptop, but fails when CI is set: CI must never pass by skipping.
 */
const REQUIRED_SERVICES = ['sqs', 'events'];

export function localstackEndpoint(): string | undefined {
  return process.env.AWS_ENDPOINT_URL || undefined;
}

/** True when AWS_ENDPOINT_URL answers /_localstack/health with sqs and events available. */
export async function localstackAvailable(endpoint = localstackEndpoint()): Promise<boolean> {
  if (endpoint === undefined) return false;
  try {
    const response = await fetch(new URL('/_localstack/health', endpoint), { signal: AbortSignal.timeout(2_000) });
    const health = (await response.json()) as { services?: Record<string, string> };
    return REQUIRED_SERVICES.every((name) => ['available', 'running'].includes(health.services?.[name] ?? ''));
  } catch {
    return false;
  }
}

/**
 * `await describeLocalstack('name', (endpoint) => { ...tests })`: runs the suite when LocalStack is up,
 * skips it when it is not (failing instead under CI).
 */
export async function describeLocalstack(name: string, body: (endpoint: string) => void): Promise<void> {
  const endpoint = localstackEndpoint();
  if (endpoint !== undefined && (await localstackAvailable(endpoint))) {
    describe(name, () => body(endpoint));
    return;
  }
  const reason = endpoint === undefined ? 'AWS_ENDPOINT_URL is not set' : `LocalStack is not healthy at ${endpoint}`;
  if (process.env.CI) {
    describe(name, () => {
      it('needs LocalStack (run: bash .ci/localstack.sh start; source <(bash .ci/localstack.sh env))', () => {
        throw new Error(`${reason}; CI is set, so this suite fails instead of skipping`);
      });
    });
    return;
  }
  describe.skip(`${name} (skipped: ${reason})`, () => body(endpoint ?? 'http://unreachable.invalid'));
}

/** Receives (and deletes) messages until `count` arrived or `timeoutMs` passed; returns what arrived. */
export async function collectMessages(
  queue: QueueReceiver,
  queueUrl: string,
  count: number,
  timeoutMs = 10_000,
): Promise<ReceivedMessage[]> {
  const collected: ReceivedMessage[] = [];
  const deadline = Date.now() + timeoutMs;
  while (collected.length < count && Date.now() < deadline) {
    const batch = await queue.receive(queueUrl, { maxMessages: 10, waitTimeSeconds: 1 });
    for (const message of batch) await queue.delete(queueUrl, message.receiptHandle);
    collected.push(...batch);
  }
  return collected;
}

/** An endpoint on loopback where nothing listens (the port was free a moment ago). */
export async function unreachableEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}
