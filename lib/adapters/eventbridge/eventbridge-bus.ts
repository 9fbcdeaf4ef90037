import { PutEventsCommand, type EventBridgeClient, type PutEventsResultEntry } from '@aws-sdk/client-eventbridge';
import type { EventBusEntry } from '../../contracts/domain-event.js';
import type { EventBus, PublishFailure, PublishOutcome } from '../../ports/event-bus.js';
import { summarizeAwsError } from '../aws-error.js';
import { chunkWithinLimits } from '../batching.js';
import { EVENTBRIDGE_MAX_BATCH_ENTRIES, EVENTBRIDGE_MAX_PAYLOAD_BYTES, entrySize } from './eventbridge-limits.js';

/**
 * An EventBridge bus. Entries without `EventBusName` go to `busName`. Never throws for a failed call:
 * every entry of a batch whose call failed is reported with the error's name as code.
 */
export class EventBridgeBus implements EventBus {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async publish(entries: readonly EventBusEntry[]): Promise<PublishOutcome> {
    const oversize = entries.filter((entry) => entrySize(entry) > EVENTBRIDGE_MAX_PAYLOAD_BYTES);
    const sendable = entries.filter((entry) => entrySize(entry) <= EVENTBRIDGE_MAX_PAYLOAD_BYTES);
    const batches = chunkWithinLimits(sendable, entrySize, {
      maxEntries: EVENTBRIDGE_MAX_BATCH_ENTRIES,
      maxBytes: EVENTBRIDGE_MAX_PAYLOAD_BYTES,
    });
    const failed: PublishFailure[] = oversize.map(tooLargeFailure);
    for (const batch of batches) failed.push(...(await this.putBatch(batch)));
    return { failed };
  }

  private async putBatch(batch: readonly EventBusEntry[]): Promise<PublishFailure[]> {
    const requestEntries = batch.map((entry) => ({ ...entry, EventBusName: entry.EventBusName ?? this.busName }));
    try {
      const output = await this.client.send(new PutEventsCommand({ Entries: requestEntries }));
      if (!output.FailedEntryCount) return [];
      return failedEntries(batch, output.Entries ?? []);
    } catch (error) {
      const { code, message } = summarizeAwsError(error);
      return batch.map((entry) => ({ entry, code, message }));
    }
  }
}

/** Result entries are positional: the n-th result belongs to the n-th request entry. */
function failedEntries(batch: readonly EventBusEntry[], results: readonly PutEventsResultEntry[]): PublishFailure[] {
  const failed: PublishFailure[] = [];
  batch.forEach((entry, index) => {
    const result = results[index];
    if (result === undefined) failed.push({ entry, code: 'MissingResultEntry', message: 'PutEvents returned no result for this entry' });
    else if (result.ErrorCode) failed.push({ entry, code: result.ErrorCode, message: result.ErrorMessage ?? result.ErrorCode });
  });
  return failed;
}

function tooLargeFailure(entry: EventBusEntry): PublishFailure {
  return {
    entry,
    code: 'EntryTooLarge',
    message: `entry is ${entrySize(entry)} bytes; PutEvents accepts at most ${EVENTBRIDGE_MAX_PAYLOAD_BYTES}`,
  };
}
