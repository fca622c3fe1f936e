// The Alpaca AI walkthrough and a pinned webhook endpoint, as the newer
// stripe-node majors' own docs write them: a client without apiVersion (the
// SDK's pin), invoices.createPreview, v1 and v2 meter events and the v2
// meter event stream. Shared by the suites of stripe-node 18 and 23.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import { emulatorURL } from './emulator.mjs';

const protocol = emulatorURL.protocol.replace(/:$/, '');
const options = {
  host: emulatorURL.hostname,
  port: emulatorURL.port || (protocol === 'https' ? 443 : 80),
  protocol,
  timeout: 30_000,
};

function key(name) {
  return `sk_test_node_${name}_${crypto.randomBytes(8).toString('hex')}`;
}

// until polls f until it returns true (the v2 stream counts asynchronously).
async function until(what, f) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (await f()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

// alpaca runs the walkthrough with the SDK class Stripe, which pins pin;
// streamHost: the stream's request needs its own host (stripe-node 18's
// resource names meter-events.stripe.com, which beats the client's host).
export async function alpaca(Stripe, { pin, mode, streamHost }) {
  const stripe = new Stripe(key('alpaca'), options);
  assert.equal(stripe.getApiField('version'), pin);

  const meter = await stripe.billing.meters.create({
    display_name: 'Alpaca AI tokens',
    event_name: 'alpaca_ai_tokens',
    default_aggregation: { formula: 'sum' },
    customer_mapping: { event_payload_key: 'stripe_customer_id', type: 'by_id' },
    value_settings: { event_payload_key: 'value' },
  });
  const price = await stripe.prices.create({
    currency: 'usd',
    unit_amount: 4,
    billing_scheme: 'per_unit',
    transform_quantity: { divide_by: 1000, round: 'up' },
    recurring: { usage_type: 'metered', interval: 'month', meter: meter.id },
    product_data: { name: 'Alpaca AI tokens' },
  });
  const customer = await stripe.customers.create({ name: 'John Doe', email: 'john.doe@example.com' });
  const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
  const item = subscription.items.data[0];
  assert.ok(item.current_period_end > item.current_period_start, 'the period is on the item');
  assert.equal(subscription.current_period_end, undefined, 'basil moved the period off the subscription');
  assert.equal(subscription.billing_mode.type, mode);

  // 1,000 tokens each through a v1 meter event, a v2 one and the v2 stream.
  const payload = { stripe_customer_id: customer.id, value: '1000' };
  await stripe.billing.meterEvents.create({ event_name: 'alpaca_ai_tokens', payload });
  await stripe.v2.billing.meterEvents.create({ event_name: 'alpaca_ai_tokens', payload });
  const session = await stripe.v2.billing.meterEventSession.create();
  const streamer = new Stripe(session.authentication_token, options);
  await streamer.v2.billing.meterEventStream.create({ events: [{ event_name: 'alpaca_ai_tokens', payload }] },
    streamHost ? { host: emulatorURL.hostname } : undefined);

  let invoice;
  await until('12 cents on the preview', async () => {
    invoice = await stripe.invoices.createPreview({ customer: customer.id, subscription: subscription.id });
    return invoice.amount_due === 12;
  });
  assert.equal(invoice.parent.type, 'subscription_details');
  assert.equal(invoice.parent.subscription_details.subscription, subscription.id);
  assert.equal(invoice.subscription, undefined);
  const line = invoice.lines.data[0];
  assert.equal(line.pricing.price_details.price, price.id);
  assert.equal(line.parent.subscription_item_details.subscription_item, item.id);
  assert.equal(line.price, undefined);
  assert.deepEqual(line.period, { end: item.current_period_end, start: item.current_period_start });
  assert.equal(stripe.invoices.retrieveUpcoming, undefined, 'basil removed the upcoming invoice');
  return { stripe, customer, subscription };
}

// pinned makes a webhook endpoint with the SDK's own api_version and checks
// that what it receives verifies with stripe.webhooks.constructEvent (which
// checks the signature only) and is of that version's shape.
export async function pinned(Stripe, { pin }) {
  const deliveries = [];
  const receiver = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      deliveries.push({ body: Buffer.concat(chunks), signature: req.headers['stripe-signature'] });
      res.writeHead(200);
      res.end();
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  try {
    const stripe = new Stripe(key('pinned'), options);
    const endpoint = await stripe.webhookEndpoints.create({
      url: `http://127.0.0.1:${receiver.address().port}/hook`,
      enabled_events: ['customer.subscription.created'],
      api_version: pin,
    });
    assert.equal(endpoint.api_version, pin);
    const price = await stripe.prices.create({ currency: 'usd', unit_amount: 1000, recurring: { interval: 'month' }, product_data: { name: 'Seat' } });
    const customer = await stripe.customers.create({ name: 'Pinned', payment_method: 'pm_card_visa', invoice_settings: { default_payment_method: 'pm_card_visa' } });
    const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    await until('customer.subscription.created', () => deliveries.length > 0);
    const event = stripe.webhooks.constructEvent(deliveries[0].body, deliveries[0].signature, endpoint.secret);
    assert.equal(event.type, 'customer.subscription.created');
    assert.equal(event.api_version, pin);
    const object = event.data.object;
    assert.equal(object.id, subscription.id);
    assert.equal(object.current_period_end, undefined);
    assert.equal(object.items.data[0].current_period_end, subscription.items.data[0].current_period_end);
    assert.ok(object.billing_mode);
    // The event log has it as created.
    const logged = await stripe.events.retrieve(event.id);
    assert.equal(logged.api_version, pin);
  } finally {
    await new Promise((resolve) => receiver.close(resolve));
  }
}

// pausePreview previews pausing a flexible subscription with
// invoicing_behavior=invoice (createPreview's subscription_details.pause,
// 2026-09-30.endive), then pauses it: the preview is the invoice the pause
// makes, and the preview changed nothing. On a test clock, so that both
// happen at one moment: the seat's credit for its unused period (-1,000).
export async function pausePreview(Stripe) {
  const stripe = new Stripe(key('pause'), options);
  const clock = await stripe.testHelpers.testClocks.create({ frozen_time: 1719792000 });
  const customer = await stripe.customers.create({
    name: 'Pausing', test_clock: clock.id,
    payment_method: 'pm_card_visa', invoice_settings: { default_payment_method: 'pm_card_visa' },
  });
  const price = await stripe.prices.create({ currency: 'usd', unit_amount: 1000, recurring: { interval: 'month' }, product_data: { name: 'Seat' } });
  const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
  assert.equal(subscription.billing_mode.type, 'flexible');
  const pause = { invoicing_behavior: 'invoice', bill_for: { unused_time_from: { type: 'now' } } };

  const preview = await stripe.invoices.createPreview({ subscription: subscription.id, subscription_details: { pause } });
  assert.equal(preview.total, -1000);
  assert.equal((await stripe.subscriptions.retrieve(subscription.id)).status, 'active', 'a preview pauses nothing');
  await assert.rejects(
    stripe.invoices.createPreview({ subscription: subscription.id, subscription_details: { pause: { invoicing_behavior: 'pending_invoice_item' } } }),
    (err) => err.statusCode === 404 && err.code === 'invoice_upcoming_none',
  );

  const paused = await stripe.subscriptions.pause(subscription.id, pause);
  assert.equal(paused.status, 'paused');
  const made = await stripe.invoices.retrieve(paused.latest_invoice);
  for (const k of ['total', 'subtotal', 'amount_due', 'starting_balance', 'billing_reason', 'period_start', 'period_end']) {
    assert.equal(preview[k], made[k], k);
  }
  assert.deepEqual(preview.lines.data.map((l) => [l.amount, l.description]), made.lines.data.map((l) => [l.amount, l.description]));
}
