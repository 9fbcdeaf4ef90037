import type { OutgoingMessage, SendFailure } from '../../ports/message-queue.js';
import { SQS_MAX_DELAY_SECONDS, tooLongRefusal } from '../sqs/sqs-limits.js';

/** Characters SQS accepts in a body: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF. */
const INVALID_BODY_CHARACTER = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** The refusal SQS would give this message on its own, or undefined when SQS would accept it. */
export function validateOutgoing(message: OutgoingMessage): SendFailure | undefined {
  const refuse = (code: string, text: string): SendFailure => ({
    id: message.id,
    code,
    message: text,
    permanent: true,
  });
  if (message.body === '') return refuse('MissingRequiredParameterException', 'the message body is empty');
  const tooLong = tooLongRefusal(message);
  if (tooLong) return tooLong;
  if (INVALID_BODY_CHARACTER.test(message.body))
    return refuse('InvalidMessageContents', 'the message body contains characters SQS does not accept');
  const delay = message.delaySeconds ?? 0;
  if (!Number.isInteger(delay) || delay < 0 || delay > SQS_MAX_DELAY_SECONDS)
    return refuse('InvalidParameterValue', `delaySeconds must be an integer in 0..${SQS_MAX_DELAY_SECONDS}`);
  return undefined;
}
