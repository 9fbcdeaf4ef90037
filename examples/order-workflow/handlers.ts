import { PermanentError, RetryableError } from '../../lib/worker/handler-api.js';
import type { HandlerMap, StepHandlerInput } from '../../lib/worker/handler-api.js';

/**
 * Handlers of the `ecommerce/order_fulfillment` template. Every id is derived from the order id,
 * never random, so a run is reproducible. `charge_payment` fails its first attempt(s) with a
 * RetryableError (how many: `initialization.failures_before_success`, default 1) and declines for
 * good when the order's `payment_token` is `tok_declined`.
 */

interface OrderItem {
  sku: string;
  quantity: number;
  price: number;
}

interface Order {
  order_id: string;
  customer: { email: string; name?: string };
  items: OrderItem[];
  payment_token?: string;
}

export interface ValidatedOrder {
  order_id: string;
  customer_email: string;
  items: OrderItem[];
  item_count: number;
  total: number;
}

export interface Reservation {
  reservation_id: string;
  warehouse: string;
  reserved: Record<string, number>;
}

export interface Payment {
  payment_id: string;
  amount: number;
  currency: string;
  attempts: number;
}

export interface Shipment {
  order_id: string;
  tracking_number: string;
  carrier: string;
  reservation_id: string;
  payment_id: string;
}

export interface Confirmation {
  sent_to: string;
  tracking_number: string;
  message_id: string;
}

/** The task context is checked against the template's input_schema when the task is created. */
function orderOf(input: StepHandlerInput): Order {
  return input.context.order as Order;
}

function dependency<T>(input: StepHandlerInput, step: string): T {
  const result = input.dependencyResults[step];
  if (result === undefined || result === null)
    throw new PermanentError(`missing result of step ${step}`, { code: 'missing_dependency' });
  return result as T;
}

function configString(input: StepHandlerInput, key: string, fallback: string): string {
  const value = input.config[key];
  return typeof value === 'string' ? value : fallback;
}

function configNumber(input: StepHandlerInput, key: string, fallback: number): number {
  const value = input.config[key];
  return typeof value === 'number' ? value : fallback;
}

const cents = (amount: number): number => Math.round(amount * 100) / 100;

export function validateOrder(input: StepHandlerInput): ValidatedOrder {
  const order = orderOf(input);
  const maxItems = configNumber(input, 'max_items', 100);
  if (order.items.length > maxItems) {
    throw new PermanentError(`order has ${order.items.length} items; at most ${maxItems} allowed`, {
      code: 'too_many_items',
    });
  }
  const total = cents(order.items.reduce((sum, item) => sum + item.quantity * item.price, 0));
  return {
    order_id: order.order_id,
    customer_email: order.customer.email,
    items: order.items,
    item_count: order.items.length,
    total,
  };
}

export function reserveInventory(input: StepHandlerInput): Reservation {
  const order = dependency<ValidatedOrder>(input, 'validate_order');
  const reserved: Record<string, number> = {};
  for (const item of order.items) reserved[item.sku] = (reserved[item.sku] ?? 0) + item.quantity;
  return { reservation_id: `res-${order.order_id}`, warehouse: configString(input, 'warehouse', 'default'), reserved };
}

export function chargePayment(input: StepHandlerInput): Payment {
  const order = dependency<ValidatedOrder>(input, 'validate_order');
  if (orderOf(input).payment_token === 'tok_declined') {
    throw new PermanentError(`card declined for order ${order.order_id}`, { code: 'card_declined' });
  }
  if (input.attempt <= configNumber(input, 'failures_before_success', 1)) {
    throw new RetryableError(`payment gateway unavailable (attempt ${input.attempt})`, { code: 'gateway_unavailable' });
  }
  const currency = configString(input, 'currency', 'EUR');
  return { payment_id: `pay-${order.order_id}`, amount: order.total, currency, attempts: input.attempt };
}

export function shipOrder(input: StepHandlerInput): Shipment {
  const reservation = dependency<Reservation>(input, 'reserve_inventory');
  const payment = dependency<Payment>(input, 'charge_payment');
  const orderId = orderOf(input).order_id;
  const carrier = configString(input, 'carrier', 'post');
  const tracking_number = `TRK-${carrier.toUpperCase()}-${orderId}`;
  return {
    order_id: orderId,
    tracking_number,
    carrier,
    reservation_id: reservation.reservation_id,
    payment_id: payment.payment_id,
  };
}

export function sendConfirmation(input: StepHandlerInput): Confirmation {
  const shipment = dependency<Shipment>(input, 'ship_order');
  const email = orderOf(input).customer.email;
  input.logger.info('order confirmation sent', {
    order_id: shipment.order_id,
    tracking_number: shipment.tracking_number,
  });
  return { sent_to: email, tracking_number: shipment.tracking_number, message_id: `msg-${shipment.order_id}` };
}

const handlers: HandlerMap = {
  'ecommerce.validate_order': validateOrder,
  'ecommerce.reserve_inventory': reserveInventory,
  'ecommerce.charge_payment': chargePayment,
  'ecommerce.ship_order': shipOrder,
  'ecommerce.send_confirmation': sendConfirmation,
};

export default handlers;
