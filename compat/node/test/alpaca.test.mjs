// Stripe's usage-based billing guide (Alpaca AI), step by step with stripe-node:
// 3000 tokens at 0.04 USD per 1000 tokens is 12 cents on the upcoming invoice.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newClient } from '../support/emulator.mjs';

test('Alpaca AI walkthrough: 3000 tokens bill 12 cents on the upcoming invoice', async () => {
  const stripe = newClient('alpaca');

  // 1. A meter for the tokens.
  const meter = await stripe.billing.meters.create({
    display_name: 'Alpaca AI tokens',
    event_name: 'alpaca_ai_tokens',
    default_aggregation: { formula: 'sum' },
    customer_mapping: { event_payload_key: 'stripe_customer_id', type: 'by_id' },
    value_settings: { event_payload_key: 'value' },
  });
  assert.match(meter.id, /^mtr_/);
  assert.equal(meter.object, 'billing.meter');
  assert.equal(meter.event_name, 'alpaca_ai_tokens');
  assert.equal(meter.status, 'active');
  assert.deepEqual(meter.default_aggregation, { formula: 'sum' });
  assert.deepEqual(meter.customer_mapping, { event_payload_key: 'stripe_customer_id', type: 'by_id' });
  assert.deepEqual(meter.value_settings, { event_payload_key: 'value' });

  // 2. The product and its price: 0.04 USD per 1000 tokens, monthly, metered.
  const product = await stripe.products.create({ name: 'Alpaca AI' });
  assert.match(product.id, /^prod_/);
  assert.equal(product.name, 'Alpaca AI');
  const price = await stripe.prices.create({
    product: product.id,
    currency: 'usd',
    unit_amount: 4,
    billing_scheme: 'per_unit',
    transform_quantity: { divide_by: 1000, round: 'up' },
    recurring: { usage_type: 'metered', interval: 'month', meter: meter.id },
  });
  assert.match(price.id, /^price_/);
  assert.equal(price.unit_amount, 4);
  assert.equal(price.unit_amount_decimal, '4');
  assert.equal(price.product, product.id);
  assert.equal(price.type, 'recurring');
  assert.deepEqual(price.transform_quantity, { divide_by: 1000, round: 'up' });
  assert.equal(price.recurring.interval, 'month');
  assert.equal(price.recurring.interval_count, 1);
  assert.equal(price.recurring.usage_type, 'metered');
  assert.equal(price.recurring.meter, meter.id);

  // 3. The customer.
  const customer = await stripe.customers.create({ name: 'John Doe', email: 'john@example.com' });
  assert.match(customer.id, /^cus_/);
  assert.equal(customer.name, 'John Doe');

  // 4. The subscription.
  const subscription = await stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: price.id }],
  });
  assert.match(subscription.id, /^sub_/);
  assert.equal(subscription.status, 'active');
  assert.equal(subscription.customer, customer.id);
  assert.equal(subscription.items.object, 'list');
  assert.equal(subscription.items.data.length, 1);
  assert.equal(subscription.items.data[0].price.id, price.id);
  assert.ok(subscription.current_period_end > subscription.current_period_start);

  // 5. 3000 tokens of usage.
  const event = await stripe.billing.meterEvents.create({
    event_name: 'alpaca_ai_tokens',
    payload: { stripe_customer_id: customer.id, value: '3000' },
  });
  assert.equal(event.object, 'billing.meter_event');
  assert.equal(event.event_name, 'alpaca_ai_tokens');
  assert.deepEqual(event.payload, { stripe_customer_id: customer.id, value: '3000' });
  assert.equal(typeof event.identifier, 'string');
  assert.ok(event.identifier.length > 0);

  // 6. The upcoming invoice: ceil(3000 / 1000) × 4 cents = 12 cents.
  const upcoming = await stripe.invoices.retrieveUpcoming({ customer: customer.id });
  assert.equal(upcoming.object, 'invoice');
  assert.equal(upcoming.customer, customer.id);
  assert.equal(upcoming.subscription, subscription.id);
  assert.equal(upcoming.currency, 'usd');
  assert.equal(upcoming.amount_due, 12);
  assert.equal(upcoming.subtotal, 12);
  assert.equal(upcoming.total, 12);
  assert.equal(upcoming.period_start, subscription.current_period_start);
  assert.equal(upcoming.period_end, subscription.current_period_end);
  assert.equal(upcoming.lines.object, 'list');
  assert.equal(upcoming.lines.data.length, 1);
  const line = upcoming.lines.data[0];
  assert.equal(line.object, 'line_item');
  assert.equal(line.type, 'subscription');
  assert.equal(line.amount, 12);
  assert.equal(line.quantity, 3000);
  assert.equal(line.price.id, price.id);
  assert.equal(line.period.start, subscription.current_period_start);
  assert.equal(line.period.end, subscription.current_period_end);

  // The same lines, auto-paginated, and the same total from create_preview.
  const lines = await stripe.invoices.listUpcomingLines({ customer: customer.id }).autoPagingToArray({ limit: 100 });
  assert.deepEqual(lines.map((l) => l.amount), [12]);
  const preview = await stripe.invoices.createPreview({ customer: customer.id });
  assert.equal(preview.object, 'invoice');
  assert.equal(preview.amount_due, 12);
  assert.equal(preview.total, 12);
});

test('Alpaca AI walkthrough: 3001 tokens round up to 16 cents, no usage bills 0', async () => {
  const stripe = newClient('alpaca_round');
  const meter = await stripe.billing.meters.create({
    display_name: 'Alpaca AI tokens',
    event_name: 'alpaca_ai_tokens',
    default_aggregation: { formula: 'sum' },
  });
  const price = await stripe.prices.create({
    product_data: { name: 'Alpaca AI' },
    currency: 'usd',
    unit_amount: 4,
    transform_quantity: { divide_by: 1000, round: 'up' },
    recurring: { usage_type: 'metered', interval: 'month', meter: meter.id },
  });
  const busy = await stripe.customers.create({ name: 'Busy' });
  const idle = await stripe.customers.create({ name: 'Idle' });
  for (const c of [busy, idle]) {
    await stripe.subscriptions.create({ customer: c.id, items: [{ price: price.id }] });
  }
  for (const value of ['1000', '2001']) {
    await stripe.billing.meterEvents.create({
      event_name: 'alpaca_ai_tokens',
      payload: { stripe_customer_id: busy.id, value },
    });
  }
  const busyInvoice = await stripe.invoices.retrieveUpcoming({ customer: busy.id });
  assert.equal(busyInvoice.amount_due, 16);
  const idleInvoice = await stripe.invoices.retrieveUpcoming({ customer: idle.id });
  assert.equal(idleInvoice.amount_due, 0);
  assert.equal(idleInvoice.lines.data.length, 1);
  assert.equal(idleInvoice.lines.data[0].quantity, 0);
});
