import { API_URL_OUTPUT_DESCRIPTION } from '../contracts/api-endpoint.js';
import { errorMessage } from '../domain/error-message.js';
import { CliError } from './errors.js';
import { signedFetch, type SigningTarget } from './sigv4.js';

export interface StackOutput {
  readonly key: string;
  readonly value: string;
  readonly description: string | null;
}

/**
 * A stack's outputs, by CloudFormation's DescribeStacks (the Query API, signed with the SDK's SigV4 signer): one
 * request, and no CloudFormation client in the package. `endpoint`: AWS_ENDPOINT_URL_CLOUDFORMATION or
 * AWS_ENDPOINT_URL when set, else the region's.
 */
export async function describeStackOutputs(
  stack: string,
  target: Omit<SigningTarget, 'service'>,
  endpoint = `https://cloudformation.${target.region}.amazonaws.com/`,
): Promise<StackOutput[]> {
  const body = new URLSearchParams({ Action: 'DescribeStacks', StackName: stack, Version: '2010-05-15' }).toString();
  let response: Response;
  try {
    response = await signedFetch(
      new URL(endpoint),
      'POST',
      body,
      { ...target, service: 'cloudformation' },
      {
        'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      },
    );
  } catch (error) {
    throw new CliError('stack_unreachable', `could not reach CloudFormation at ${endpoint}: ${errorMessage(error)}`);
  }
  const text = await response.text();
  if (!response.ok)
    throw new CliError(
      'stack_not_found',
      `CloudFormation refused DescribeStacks ${stack}: ${xmlValue(text, 'Message') ?? response.status}`,
      {
        hint: 'check --stack, --region (or AWS_REGION) and your AWS credentials',
      },
    );
  const outputs = /<Outputs>([\s\S]*?)<\/Outputs>/.exec(text)?.[1] ?? '';
  return [...outputs.matchAll(/<member>([\s\S]*?)<\/member>/g)]
    .map((m) => m[1]!)
    .map((member) => ({
      key: xmlValue(member, 'OutputKey')!,
      value: xmlValue(member, 'OutputValue') ?? '',
      description: xmlValue(member, 'Description'),
    }));
}

/** The engine's API URL among a stack's outputs: the one output with the API's description. */
export async function apiUrlOfStack(
  stack: string,
  target: Omit<SigningTarget, 'service'>,
  endpoint?: string,
): Promise<string> {
  const outputs = await describeStackOutputs(stack, target, endpoint);
  const api = outputs.filter((o) => o.description === API_URL_OUTPUT_DESCRIPTION);
  if (api.length !== 1)
    throw new CliError(
      api.length === 0 ? 'no_api_output' : 'ambiguous_api_output',
      api.length === 0
        ? `stack ${stack} has no tasker API URL output`
        : `stack ${stack} has ${api.length} tasker API URL outputs: name one with --api-url`,
      { problems: outputs.map((o) => `${o.key}: ${o.value}`) },
    );
  return api[0]!.value;
}

/** The text of the first `<tag>` element, XML entities decoded; null when absent. */
function xmlValue(xml: string, tag: string): string | null {
  const m = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml);
  return m ? decodeEntities(m[1]!) : null;
}

function decodeEntities(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&amp;/g, '&');
}
