/** Amazon SQS limits the adapters enforce (the in-memory queue mirrors them). */
export const SQS_MAX_BATCH_ENTRIES = 10;
/** One message body, and the sum of a SendMessageBatch's bodies, may not exceed 256 KiB. */
export const SQS_MAX_PAYLOAD_BYTES = 262_144;
export const SQS_MAX_RECEIVE_MESSAGES = 10;
export const SQS_MAX_WAIT_SECONDS = 20;
export const SQS_MAX_DELAY_SECONDS = 900;
export const SQS_MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200;
