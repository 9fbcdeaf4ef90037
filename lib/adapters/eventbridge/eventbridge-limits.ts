import type { EventBusEntry } from '../../contracts/domain-event.js';
import { utf8Bytes } from '../batching.js';

/** PutEvents accepts 10 entries whose sizes add up to 256 KiB. */
export const EVENTBRIDGE_MAX_BATCH_ENTRIES = 10;
export const EVENTBRIDGE_MAX_PAYLOAD_BYTES = 262_144;

/** PutEvents entry size as EventBridge counts it: Source, DetailType and Detail in UTF-8 bytes. */
export function entrySize(entry: EventBusEntry): number {
  return utf8Bytes(entry.Source) + utf8Bytes(entry.DetailType) + utf8Bytes(entry.Detail);
}

/** The refusal EventBridge would give this entry on its own (too large, Detail not a JSON object), if any. */
export function entryRefusal(entry: EventBusEntry): { code: string; message: string } | undefined {
  const size = entrySize(entry);
  if (size > EVENTBRIDGE_MAX_PAYLOAD_BYTES) {
    return { code: 'EntryTooLarge', message: `entry is ${size} bytes; PutEvents accepts at most ${EVENTBRIDGE_MAX_PAYLOAD_BYTES}` };
  }
  return isJsonObject(entry.Detail) ? undefined : { code: 'MalformedDetail', message: 'Detail is malformed.' };
}

function isJsonObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}
