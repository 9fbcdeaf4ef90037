import { z } from 'zod';

/** Every message we put on a queue or bus carries this; a reader refuses versions it does not know. */
export const SCHEMA_VERSION = 1 as const;
export const schemaVersion = z.literal(SCHEMA_VERSION);

/** JSON values as they travel in messages. */
export const jsonObject = z.record(z.string(), z.unknown());
export const uuid = z.uuid();
export const timestamp = z.iso.datetime({ offset: true });

/** SQS's hard limit on one message body, and on the sum of one SendMessageBatch's bodies, in bytes. */
export const SQS_MAX_MESSAGE_BYTES = 262_144;
/** EventBridge's hard limit on one PutEvents entry, and on the sum of one request's entries, in bytes. */
export const EVENTBRIDGE_MAX_ENTRY_BYTES = 262_144;

/**
 * The size in UTF-8 bytes of a string, or of anything else as JSON: what SQS and EventBridge count.
 *
 * @example
 * ```ts
 * byteLength('aé🎉'); // 7
 * byteLength({ a: 1 }); // 7, the length of {"a":1}
 * ```
 */
export function byteLength(value: unknown): number {
  return Buffer.byteLength(typeof value === 'string' ? value : JSON.stringify(value), 'utf8');
}
