/**
 * A partial batch response, as SQS's Lambda event source reads it (`ReportBatchItemFailures`):
 * the records named here are redelivered, every other record of the batch is deleted.
 */
export interface BatchItemFailure {
  readonly itemIdentifier: string;
}

export interface BatchResponse {
  readonly batchItemFailures: BatchItemFailure[];
}
