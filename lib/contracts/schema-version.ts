import { z } from 'zod';

/** Every message we put on a queue or bus carries this; a reader refuses versions it does not know. */
export const SCHEMA_VERSION = 1 as const;
export const schemaVersion = z.literal(SCHEMA_VERSION);

/** JSON values as they travel in messages. */
export const jsonObject = z.record(z.string(), z.unknown());
export const uuid = z.uuid();
export const timestamp = z.iso.datetime({ offset: true });

/** SQS's hard limit on one message body, in bytes. */
export const SQS_MAX_MESSAGE_BYTES = 262_144;
/** EventBridge's hard limit on one PutEvents entry, in bytes. */
export const EVENTBRIDGE_MAX_ENTRY_BYTES = 262_144;

export function byteLength(value: unknown): number {
  return Buffer.byteLength(typeof value === 'string' ? value : JSON.stringify(value), 'utf8');
}
