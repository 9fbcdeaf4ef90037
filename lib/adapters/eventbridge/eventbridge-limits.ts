import { eventBusEntryBytes, type EventBusEntry } from '../../contracts/domain-event.js';
import { EVENTBRIDGE_MAX_ENTRY_BYTES } from '../../contracts/schema-version.js';

/** PutEvents accepts 10 entries whose sizes add up to EVENTBRIDGE_MAX_ENTRY_BYTES. */
export const EVENTBRIDGE_MAX_BATCH_ENTRIES = 10;

/** An EventBridge refusal of one entry, before any call. */
export interface EntryRefusal {
  readonly code: string;
  readonly message: string;
}

/** EventBridge's refusal of an entry over its size limit (`EntryTooLarge`), or undefined when it fits. */
export function tooLargeRefusal(entry: EventBusEntry): EntryRefusal | undefined {
  const size = eventBusEntryBytes(entry);
  if (size <= EVENTBRIDGE_MAX_ENTRY_BYTES) return undefined;
  return {
    code: 'EntryTooLarge',
    message: `entry is ${size} bytes; PutEvents accepts at most ${EVENTBRIDGE_MAX_ENTRY_BYTES}`,
  };
}

/** The refusal EventBridge would give this entry on its own (too large, Detail not a JSON object), if any. */
export function entryRefusal(entry: EventBusEntry): EntryRefusal | undefined {
  return (
    tooLargeRefusal(entry) ??
    (isJsonObject(entry.Detail) ? undefined : { code: 'MalformedDetail', message: 'Detail is malformed.' })
  );
}

function isJsonObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}
