import { RetryableError } from '../../lib/worker/handler-api.js';
import type { HandlerMap, StepHandlerInput } from '../../lib/worker/handler-api.js';

/**
 * Handlers of the `dynamic` templates: order_routing (a decision) and batch_import (a batch).
 * Deterministic, so a test can check the branch taken, the pages imported and the retried page.
 */

interface Order {
  order_id: string;
  total: number;
  gift?: boolean;
}

/** Express shipping from `express_from` (config) up, standard below; gift wrap for a gift. */
export function routeOrder({ context, config }: StepHandlerInput): { activate: string[] } {
  const order = context.order as Order;
  const expressFrom = typeof config.express_from === 'number' ? config.express_from : 100;
  const shipping = order.total >= expressFrom ? 'ship_express' : 'ship_standard';
  return { activate: order.gift ? [shipping, 'gift_wrap'] : [shipping] };
}

export function ship({ context, config }: StepHandlerInput) {
  const order = context.order as Order;
  return { carrier: config.carrier, tracking_number: `TRK-${String(config.carrier).toUpperCase()}-${order.order_id}` };
}

/** Receives only the branches that ran: the skipped one is not in dependencyResults. */
export function notifyCustomer({ dependencyResults }: StepHandlerInput) {
  return { branches: Object.keys(dependencyResults).sort() };
}

interface Page {
  from: number;
  to: number;
}

/** One batch per page of `page_size` rows. */
export function planImport({ context }: StepHandlerInput): { batches: Page[]; rows: number } {
  const rows = Number(context.rows);
  const size = Number(context.page_size);
  const batches: Page[] = [];
  for (let from = 0; from < rows; from += size) batches.push({ from, to: Math.min(rows, from + size) });
  return { batches, rows };
}

/**
 * Imports one page row by row, saving a checkpoint after each row. The page named by
 * `flaky_page` fails halfway on its first attempt; its retry resumes after the last saved row.
 */
export function importPage({ batch, checkpoint, context, attempt }: StepHandlerInput) {
  const page = batch?.cursor as Page;
  const resumed = batch?.checkpoint as { next: number } | null;
  const start = resumed?.next ?? page.from;
  const flaky = context.flaky_page === batch?.index && attempt === 1;
  let imported = 0;
  for (let row = start; row < page.to; row++) {
    if (flaky && row >= page.from + Math.ceil((page.to - page.from) / 2)) {
      throw new RetryableError(`the database went away at row ${row}`);
    }
    imported += 1;
    checkpoint({ next: row + 1 });
  }
  return { page: batch?.index, resumed_at: resumed ? start : null, imported };
}

/** The pages' results arrive in page order; with nothing to import, only the plan. */
export function summarize({ dependencyResults }: StepHandlerInput) {
  const pages = (dependencyResults.import_page ?? []) as { imported: number; resumed_at: number | null }[];
  return {
    pages: pages.length,
    imported: pages.reduce((n, p) => n + p.imported, 0),
    resumed: pages.filter((p) => p.resumed_at !== null).length,
  };
}

const handlers: HandlerMap = {
  'dynamic.route_order': routeOrder,
  'dynamic.ship': ship,
  'dynamic.gift_wrap': ({ context }) => ({ wrapped: (context.order as Order).order_id }),
  'dynamic.notify_customer': notifyCustomer,
  'dynamic.plan_import': planImport,
  'dynamic.import_page': importPage,
  'dynamic.summarize': summarize,
};

export default handlers;
