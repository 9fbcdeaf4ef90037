import { buildPoisonMessage, type PoisonInput, type PoisonMessage } from './poison-message.js';
import { SQS_MAX_MESSAGE_BYTES, byteLength } from './schema-version.js';

/** Room kept free below the limit for the reason's numbers and SQS's own accounting. */
const HEADROOM_BYTES = 256;

/**
 * The poison message for the input, fitting in one SQS message: when the original body is too
 * large to keep whole, only its beginning is kept and the reason says so.
 */
export function fitPoisonMessage(input: PoisonInput, maxBytes = SQS_MAX_MESSAGE_BYTES): PoisonMessage {
  const whole = buildPoisonMessage(input);
  if (byteLength(whole) <= maxBytes) return whole;
  const totalBytes = byteLength(input.originalBody);
  const skeleton = byteLength(
    buildPoisonMessage({ ...input, reason: truncatedReason(input.reason, totalBytes, totalBytes), originalBody: '' }),
  );
  const kept = longestFittingPrefix(input.originalBody, maxBytes - skeleton - HEADROOM_BYTES);
  const reason = truncatedReason(input.reason, totalBytes, byteLength(kept));
  return buildPoisonMessage({ ...input, reason, originalBody: kept });
}

function truncatedReason(reason: string, totalBytes: number, keptBytes: number): string {
  return `${reason} [original body truncated: ${totalBytes} bytes, too large for one SQS message; only its first ${keptBytes} bytes are kept]`;
}

/** The longest prefix whose JSON-escaped form takes at most `budget` bytes (binary search). */
function longestFittingPrefix(text: string, budget: number): string {
  let low = 0;
  let high = text.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (escapedBytes(text.slice(0, mid)) <= budget) low = mid;
    else high = mid - 1;
  }
  const prefix = text.slice(0, low);
  return /[\uD800-\uDBFF]$/.test(prefix) ? prefix.slice(0, -1) : prefix;
}

function escapedBytes(text: string): number {
  return byteLength(JSON.stringify(text)) - 2;
}
