import { EventBridgeClient, type EventBridgeClientConfig } from '@aws-sdk/client-eventbridge';
import { SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';

/**
 * AWS SDK clients for Lambda. Endpoints are never set here: SDK v3 reads `AWS_ENDPOINT_URL_SQS`,
 * `AWS_ENDPOINT_URL_EVENTBRIDGE` and then `AWS_ENDPOINT_URL` itself (LocalStack locally, AWS otherwise).
 */
export const DEFAULT_REGION = 'us-east-1';

/** SQS long polls may wait 20 s, so a request may take that long before it has timed out. */
const SQS_REQUEST_TIMEOUT_MS = 25_000;
const EVENTBRIDGE_REQUEST_TIMEOUT_MS = 5_000;
const CONNECTION_TIMEOUT_MS = 3_000;
const MAX_ATTEMPTS = 3;

export function awsRegion(env: NodeJS.ProcessEnv = process.env): string {
  return env.AWS_REGION || env.AWS_DEFAULT_REGION || DEFAULT_REGION;
}

export function createSqsClient(overrides: SQSClientConfig = {}): SQSClient {
  return new SQSClient({ ...baseConfig(SQS_REQUEST_TIMEOUT_MS), ...overrides });
}

export function createEventBridgeClient(overrides: EventBridgeClientConfig = {}): EventBridgeClient {
  return new EventBridgeClient({ ...baseConfig(EVENTBRIDGE_REQUEST_TIMEOUT_MS), ...overrides });
}

/** Kept-alive sockets are reused across invocations of a warm Lambda; timeouts bound each attempt. */
function baseConfig(requestTimeout: number) {
  const agent = { keepAlive: true, maxSockets: 50 };
  return {
    region: awsRegion(),
    maxAttempts: MAX_ATTEMPTS,
    requestHandler: {
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      requestTimeout,
      throwOnRequestTimeout: true,
      httpAgent: agent,
      httpsAgent: agent,
    },
  };
}
