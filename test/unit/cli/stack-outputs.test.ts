import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_URL_OUTPUT_DESCRIPTION } from '../../../lib/contracts/api-endpoint.js';
import { apiUrlOfStack, describeStackOutputs } from '../../../lib/cli/stack-outputs.js';
import type { CliError } from '../../../lib/cli/errors.js';
import { readBody, verifySigV4 } from '../../helpers/sigv4-api-server.js';

/** `--stack`: DescribeStacks signed with the SDK's signer (verified here), the API URL found among the outputs. */

const credentials = { accessKeyId: 'AKIASTACKTEST0000001', secretAccessKey: 'stack/secret' };
const URL_OUTPUT = 'https://abc123.lambda-url.eu-west-1.on.aws/';

function describeStacksXml(outputs: Array<{ key: string; value: string; description?: string }>): string {
  const members = outputs
    .map(
      (o) =>
        `<member><OutputKey>${o.key}</OutputKey><OutputValue>${o.value}</OutputValue>${o.description ? `<Description>${o.description}</Description>` : ''}</member>`,
    )
    .join('');
  return `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member><StackName>Tasker</StackName><Parameters><member><ParameterKey>P</ParameterKey><ParameterValue>v</ParameterValue></member></Parameters><Outputs>${members}</Outputs></member></Stacks></DescribeStacksResult></DescribeStacksResponse>`;
}

let server: Server;
let endpoint: string;
const stacks: Record<string, string> = {
  Tasker: describeStacksXml([
    { key: 'BucketName', value: 'b' },
    { key: 'TaskerApiUrlF00D', value: URL_OUTPUT, description: API_URL_OUTPUT_DESCRIPTION },
  ]),
  Twice: describeStacksXml([
    { key: 'A', value: 'https://a/', description: API_URL_OUTPUT_DESCRIPTION },
    { key: 'B', value: 'https://b/', description: API_URL_OUTPUT_DESCRIPTION },
  ]),
  Plain: describeStacksXml([{ key: 'BucketName', value: 'a&amp;b' }]),
};
const saved = { ...process.env };

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  server = createServer((req, res) => {
    void (async () => {
      const body = (await readBody(req)) ?? '';
      const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
      const ok = await verifySigV4(req, url, body, credentials, 'eu-west-1', 'cloudformation');
      const stack = new URLSearchParams(body).get('StackName') ?? '';
      if (!ok)
        return void res
          .writeHead(403)
          .end('<ErrorResponse><Error><Message>bad signature</Message></Error></ErrorResponse>');
      if (!stacks[stack])
        return void res
          .writeHead(400)
          .end(
            `<ErrorResponse><Error><Message>Stack with id ${stack} does not exist</Message></Error></ErrorResponse>`,
          );
      res.writeHead(200, { 'content-type': 'text/xml' }).end(stacks[stack]);
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  process.env = saved;
  await new Promise<void>((r) => server.close(() => r()));
});

describe('the API URL of a stack', () => {
  it('is the output with the API description, read by a signed DescribeStacks', async () => {
    expect(await apiUrlOfStack('Tasker', { region: 'eu-west-1' }, endpoint)).toBe(URL_OUTPUT);
    expect(await describeStackOutputs('Plain', { region: 'eu-west-1' }, endpoint)).toEqual([
      { key: 'BucketName', value: 'a&b', description: null },
    ]);
  });

  it('is refused, typed: no such stack, no API output, two of them, a bad signature', async () => {
    const codeOf = (p: Promise<unknown>) =>
      p.then(
        () => 'resolved',
        (e: CliError) => `${e.code}: ${e.message}`,
      );
    expect(await codeOf(apiUrlOfStack('Nope', { region: 'eu-west-1' }, endpoint))).toBe(
      'stack_not_found: CloudFormation refused DescribeStacks Nope: Stack with id Nope does not exist',
    );
    expect(await codeOf(apiUrlOfStack('Plain', { region: 'eu-west-1' }, endpoint))).toMatch(/^no_api_output/);
    expect(await codeOf(apiUrlOfStack('Twice', { region: 'eu-west-1' }, endpoint))).toMatch(/^ambiguous_api_output/);
    expect(await codeOf(apiUrlOfStack('Tasker', { region: 'us-east-1' }, endpoint))).toMatch(
      /^stack_not_found: .*bad signature/,
    );
  });
});
