/** What the adapters report about an error thrown by an AWS SDK call (or by the network under it). */
export interface AwsErrorSummary {
  /** The SDK's error name (`ThrottlingException`), or the Node system code (`ECONNREFUSED`) for a bare `Error`. */
  readonly code: string;
  readonly message: string;
}

export function summarizeAwsError(error: unknown): AwsErrorSummary {
  if (!(error instanceof Error)) return { code: 'UnknownError', message: String(error) };
  const systemCode = (error as { code?: unknown }).code;
  const generic = error.name === 'Error' || error.name === '';
  const code = generic && typeof systemCode === 'string' ? systemCode : error.name || 'Error';
  return { code, message: error.message };
}
