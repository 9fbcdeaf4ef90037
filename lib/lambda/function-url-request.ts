import type { LambdaFunctionURLEventWithIAMAuthorizer, LambdaFunctionURLResult } from 'aws-lambda';
import type { ApiRequest, ApiResponse } from '../api/api-call.js';

/**
 * The API request a function URL event carries (payload format 2.0, as API Gateway HTTP APIs send it too). The actor
 * is the IAM principal Lambda authenticated (`requestContext.authorizer.iam.userArn`); null when the event carries
 * none, which a URL with AWS_IAM never sends: the caller refuses it.
 */
export function apiRequestOf(event: LambdaFunctionURLEventWithIAMAuthorizer): ApiRequest | null {
  const actor = event.requestContext?.authorizer?.iam?.userArn;
  if (!actor) return null;
  const body =
    event.body === undefined
      ? undefined
      : event.isBase64Encoded
        ? Buffer.from(event.body, 'base64').toString()
        : event.body;
  return {
    method: event.requestContext.http.method.toUpperCase(),
    path: event.rawPath,
    query: Object.fromEntries(new URLSearchParams(event.rawQueryString ?? '')),
    body,
    actor,
  };
}

/** The function URL's answer: the status and the body as JSON. */
export function functionUrlResult({ status, body }: ApiResponse): LambdaFunctionURLResult {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(body),
  };
}
