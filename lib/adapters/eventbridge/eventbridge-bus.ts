import { PutEventsCommand, type EventBridgeClient, type PutEventsResultEntry } from '@aws-sdk/client-eventbridge';
import { eventBusEntryBytes, type EventBusEntry } from '../../contracts/domain-event.js';
import { EVENTBRIDGE_MAX_ENTRY_BYTES } from '../../contracts/schema-version.js';
import type { EventBus, PublishFailure, PublishOutcome } from '../../ports/event-bus.js';
import { summarizeAwsError } from '../aws-error.js';
import { sendInBatches } from '../batching.js';
import { EVENTBRIDGE_MAX_BATCH_ENTRIES, tooLargeRefusal } from './eventbridge-limits.js';

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
    const failed = await sendInBatches(entries, {
      maxEntries: EVENTBRIDGE_MAX_BATCH_ENTRIES,
      maxBytes: EVENTBRIDGE_MAX_ENTRY_BYTES,
      sizeOf: eventBusEntryBytes,
      refusalOf,
      sendBatch: (batch) => this.putBatch(batch),
    });
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

/** Only the size is checked before the call; EventBridge judges the rest. */
function refusalOf(entry: EventBusEntry): PublishFailure | undefined {
  const refusal = tooLargeRefusal(entry);
  return refusal && { entry, ...refusal };
}

/** Result entries are positional: the n-th result belongs to the n-th request entry. */
function failedEntries(batch: readonly EventBusEntry[], results: readonly PutEventsResultEntry[]): PublishFailure[] {
  const failed: PublishFailure[] = [];
  batch.forEach((entry, index) => {
    const result = results[index];
    if (result === undefined)
      failed.push({ entry, code: 'MissingResultEntry', message: 'PutEvents returned no result for this entry' });
    else if (result.ErrorCode)
      failed.push({ entry, code: result.ErrorCode, message: result.ErrorMessage ?? result.ErrorCode });
  });
  return failed;
}
