import { ListEventBusesCommand } from '@aws-sdk/client-eventbridge';
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { awsRegion, createEventBridgeClient, createSqsClient } from '../../../lib/lambda/aws-clients.js';

/** A local HTTP server that answers `{}` and records which server got which request. */
async function recordingServer(name: string, seen: string[]): Promise<{ server: Server; url: string }> {
  const server = createServer((request: IncomingMessage, response) => {
    seen.push(`${name} ${String(request.headers['x-amz-target'] ?? request.url)}`);
    response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('aws-clients', () => {
  const seen: string[] = [];
  let general: { server: Server; url: string };
  let specific: { server: Server; url: string };

  beforeEach(async () => {
    seen.length = 0;
    general = await recordingServer('general', seen);
    specific = await recordingServer('specific', seen);
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
    vi.stubEnv('AWS_ENDPOINT_URL', general.url);
  });

  afterEach(() => {
    vi.unstubAllEnvs();
    general.server.close();
    specific.server.close();
  });

  it('takes the region from AWS_REGION, defaulting to us-east-1', () => {
    expect(awsRegion({ AWS_REGION: 'eu-west-1' })).toBe('eu-west-1');
    expect(awsRegion({})).toBe('us-east-1');
  });

  it('sends to AWS_ENDPOINT_URL, read by the SDK itself', async () => {
    vi.stubEnv('AWS_ENDPOINT_URL_SQS', '');
    await createSqsClient().send(new ListQueuesCommand({}));
    expect(seen).toEqual(['general AmazonSQS.ListQueues']);
  });

  it('prefers the per-service variables AWS_ENDPOINT_URL_SQS and AWS_ENDPOINT_URL_EVENTBRIDGE', async () => {
    vi.stubEnv('AWS_ENDPOINT_URL_SQS', specific.url);
    vi.stubEnv('AWS_ENDPOINT_URL_EVENTBRIDGE', specific.url);
    await createSqsClient().send(new ListQueuesCommand({}));
    await createEventBridgeClient().send(new ListEventBusesCommand({}));
    expect(seen).toEqual(['specific AmazonSQS.ListQueues', 'specific AWSEvents.ListEventBuses']);
  });

  it('bounds retries and lets callers override settings', async () => {
    const client = createSqsClient({ maxAttempts: 1 });
    expect(await client.config.maxAttempts()).toBe(1);
    expect(await createEventBridgeClient().config.maxAttempts()).toBe(3);
  });
});
