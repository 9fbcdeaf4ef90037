import type { LambdaFunctionURLEventWithIAMAuthorizer } from 'aws-lambda';

export const OPERATOR_ARN = 'arn:aws:sts::123456789012:assumed-role/Operators/ada';

/** A Lambda function URL event (payload 2.0) as Lambda sends it for a URL with AWS_IAM; `actor: null` leaves out the authorizer. */
export function functionUrlEvent(
  method: string,
  pathAndQuery: string,
  options: { body?: unknown; actor?: string | null; base64?: boolean } = {},
): LambdaFunctionURLEventWithIAMAuthorizer {
  const [rawPath, rawQueryString = ''] = pathAndQuery.split('?') as [string, string?];
  const text =
    options.body === undefined
      ? undefined
      : typeof options.body === 'string'
        ? options.body
        : JSON.stringify(options.body);
  const actor = options.actor === undefined ? OPERATOR_ARN : options.actor;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    headers: { 'content-type': 'application/json' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'url-id',
      domainName: 'url-id.lambda-url.eu-west-1.on.aws',
      domainPrefix: 'url-id',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'req-1',
      routeKey: '$default',
      stage: '$default',
      time: '30/Nov/2026:14:00:00 +0000',
      timeEpoch: 0,
      ...(actor === null
        ? {}
        : {
            authorizer: {
              iam: {
                accessKey: 'AKIA',
                accountId: '123456789012',
                callerId: 'AROA:ada',
                cognitoIdentity: null,
                principalOrgId: 'o-1',
                userArn: actor,
                userId: 'AROA:ada',
              },
            },
          }),
    } as LambdaFunctionURLEventWithIAMAuthorizer['requestContext'],
    isBase64Encoded: options.base64 ?? false,
    ...(text === undefined ? {} : { body: options.base64 ? Buffer.from(text).toString('base64') : text }),
  };
}
