import { createEventBridgeClient, createSqsClient } from '../lambda/aws-clients.js';
import {
  createLocalAws,
  deleteLocalAws,
  localAwsEnvironment,
  type LocalAwsClients,
} from '../local/local-aws-resources.js';
import { out, type CliIo } from './cli-io.js';
import { CliError } from './errors.js';
import { EXIT, type ExitCode } from './exit-codes.js';

export interface LocalAwsCliOptions {
  readonly prefix: string;
  readonly namespace?: readonly string[];
  readonly json?: boolean;
}

/**
 * `tasker local-aws create`: the queues and bus on the endpoint, and the environment that points at them, as
 * `export NAME='value'` lines for `eval "$(tasker local-aws create ...)"`, or one JSON object with `--json`.
 */
export async function localAwsCreate(opts: LocalAwsCliOptions, io: CliIo): Promise<ExitCode> {
  requireEndpoint(io);
  const made = await withClients((clients) =>
    createLocalAws({ prefix: opts.prefix, namespaces: opts.namespace ?? [] }, clients),
  );
  const env = localAwsEnvironment(made, io.env);
  if (opts.json) out(io, JSON.stringify(env, null, 2));
  else for (const [name, value] of Object.entries(env)) out(io, `export ${name}=${shellQuoted(value)}`);
  return EXIT.ok;
}

/** `tasker local-aws delete`: removes them again; prints what it deleted. */
export async function localAwsDelete(opts: LocalAwsCliOptions, io: CliIo): Promise<ExitCode> {
  requireEndpoint(io);
  const deleted = await withClients((clients) =>
    deleteLocalAws({ prefix: opts.prefix, namespaces: opts.namespace ?? [] }, clients),
  );
  for (const name of deleted) out(io, `deleted ${name}`);
  return EXIT.ok;
}

/** A local tool: it refuses to create queues in a real AWS account by accident. */
function requireEndpoint(io: CliIo): void {
  if (!io.env.AWS_ENDPOINT_URL && !io.env.AWS_ENDPOINT_URL_SQS)
    throw new CliError('missing_endpoint', 'AWS_ENDPOINT_URL is not set: tasker local-aws works on LocalStack only', {
      hint: 'source <(bash .ci/localstack.sh env), or export AWS_ENDPOINT_URL=http://127.0.0.1:4566 AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test',
    });
}

async function withClients<T>(use: (clients: LocalAwsClients) => Promise<T>): Promise<T> {
  const clients = { sqs: createSqsClient(), events: createEventBridgeClient() };
  try {
    return await use(clients);
  } finally {
    clients.sqs.destroy();
    clients.events.destroy();
  }
}

function shellQuoted(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
