import { PermanentError } from '../../lib/worker/handler-api.js';
import type { HandlerMap } from '../../lib/worker/handler-api.js';

/**
 * Handlers of approvals/purchase_approval. Its `manager_approval` step is a wait: no handler runs
 * it; the signal's payload (`{approved, approver, note?}`) is its result, which `place_order` reads
 * from its dependency results like any other step's.
 */

export interface Quote {
  quote_id: string;
  item: string;
  amount: number;
}

export interface Decision {
  approved: boolean;
  approver: string;
  note?: string;
}

const handlers: HandlerMap = {
  'approvals.quote_purchase': ({ context, step }): Quote => ({
    quote_id: `q-${step.taskUuid.slice(0, 8)}`,
    item: String(context.item),
    amount: Number(context.amount),
  }),
  'approvals.place_order': ({ dependencyResults }) => {
    const quote = dependencyResults.quote_purchase as Quote;
    const decision = dependencyResults.manager_approval as Decision;
    if (!decision.approved)
      throw new PermanentError(`purchase of ${quote.item} rejected by ${decision.approver}`, { code: 'rejected' });
    return { order_id: `order-${quote.quote_id}`, amount: quote.amount, approved_by: decision.approver };
  },
};

export default handlers;
