// Meter event summaries (billing.meters.listEventSummaries): one summary over a
// range, or one per hour or day, newest first; cancellations drop out at once.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'node:test';
import { Stripe, expectStripeError, newClient } from '../support/emulator.mjs';

const HOUR = 3600;
const DAY = 86400;

async function setUp(name, meterParams = {}) {
  const stripe = newClient(name);
  const meter = await stripe.billing.meters.create({
    display_name: 'Alpaca AI tokens',
    event_name: 'alpaca_ai_tokens',
    default_aggregation: { formula: 'sum' },
    ...meterParams,
  });
  const customer = await stripe.customers.create({ name: 'John Doe' });
  const other = await stripe.customers.create({ name: 'Someone else' });
  return { stripe, meter, customer, other };
}

function send(stripe, customer, value, timestamp, identifier) {
  const params = {
    event_name: 'alpaca_ai_tokens',
    payload: { stripe_customer_id: customer.id, value: String(value) },
    timestamp,
  };
  if (identifier) params.identifier = identifier;
  return stripe.billing.meterEvents.create(params);
}

test('one summary over a range, by event timestamp, per customer', async () => {
  const { stripe, meter, customer, other } = await setUp('summaries');
  const hour = Math.floor(Date.now() / 1000 / HOUR) * HOUR; // this hour's start
  await send(stripe, customer, 100, hour - 2 * HOUR + 10);
  await send(stripe, customer, 200, hour - 2 * HOUR + 20);
  await send(stripe, customer, 300, hour - HOUR + 5);
  await send(stripe, customer, 1000, hour - 5 * HOUR); // before the range
  await send(stripe, other, 7, hour - HOUR + 5); // another customer

  const start = hour - 3 * HOUR;
  const end = hour + HOUR;
  const page = await stripe.billing.meters.listEventSummaries(meter.id, {
    customer: customer.id,
    start_time: start,
    end_time: end,
  });
  assert.equal(page.object, 'list');
  assert.equal(page.url, `/v1/billing/meters/${meter.id}/event_summaries`);
  assert.equal(page.has_more, false);
  assert.equal(page.data.length, 1);
  const s = page.data[0];
  assert.match(s.id, /^mtrusg_/);
  assert.equal(s.object, 'billing.meter_event_summary');
  assert.equal(s.meter, meter.id);
  assert.equal(s.livemode, false);
  assert.equal(s.start_time, start);
  assert.equal(s.end_time, end);
  assert.equal(typeof s.aggregated_value, 'number');
  assert.equal(s.aggregated_value, 600);

  const theirs = await stripe.billing.meters.listEventSummaries(meter.id, {
    customer: other.id,
    start_time: start,
    end_time: end,
  });
  assert.deepEqual(theirs.data.map((x) => x.aggregated_value), [7]);
});

test('hourly and daily windows, newest first, auto-paginated', async () => {
  const { stripe, meter, customer } = await setUp('summaries');
  const hour = Math.floor(Date.now() / 1000 / HOUR) * HOUR;
  const events = [
    [5, hour - 4 * HOUR + 1],
    [10, hour - 2 * HOUR + 10],
    [20, hour - 2 * HOUR + 20],
    [40, hour - HOUR + 5],
  ];
  for (const [v, ts] of events) await send(stripe, customer, v, ts);

  const start = hour - 5 * HOUR;
  const end = hour + HOUR;
  const hourly = await stripe.billing.meters
    .listEventSummaries(meter.id, { customer: customer.id, start_time: start, end_time: end, value_grouping_window: 'hour', limit: 2 })
    .autoPagingToArray({ limit: 100 });
  for (const s of hourly) {
    assert.equal(s.object, 'billing.meter_event_summary');
    assert.equal(s.end_time - s.start_time, HOUR);
    assert.equal(s.start_time % HOUR, 0);
    assert.ok(s.start_time >= start && s.end_time <= end);
  }
  const starts = hourly.map((s) => s.start_time);
  assert.deepEqual(starts, [...starts].sort((a, b) => b - a), 'newest window first');
  assert.equal(new Set(hourly.map((s) => s.id)).size, hourly.length, 'distinct ids');
  const nonZero = Object.fromEntries(hourly.filter((s) => s.aggregated_value !== 0).map((s) => [s.start_time, s.aggregated_value]));
  assert.deepEqual(nonZero, {
    [hour - 4 * HOUR]: 5,
    [hour - 2 * HOUR]: 30,
    [hour - HOUR]: 40,
  });

  const day = Math.floor(Date.now() / 1000 / DAY) * DAY;
  const daily = await stripe.billing.meters
    .listEventSummaries(meter.id, { customer: customer.id, start_time: day - 2 * DAY, end_time: day + DAY, value_grouping_window: 'day' })
    .autoPagingToArray({ limit: 100 });
  const want = {};
  for (const [v, ts] of events) {
    const d = Math.floor(ts / DAY) * DAY;
    want[d] = (want[d] || 0) + v;
  }
  const gotDaily = Object.fromEntries(daily.filter((s) => s.aggregated_value !== 0).map((s) => [s.start_time, s.aggregated_value]));
  assert.deepEqual(gotDaily, want);
  for (const s of daily) assert.equal(s.end_time - s.start_time, DAY);
});

test('a canceled event leaves the summary at once', async () => {
  const { stripe, meter, customer } = await setUp('summaries');
  const hour = Math.floor(Date.now() / 1000 / HOUR) * HOUR;
  const identifier = `cancel-${crypto.randomUUID()}`;
  await send(stripe, customer, 50, hour - HOUR + 1);
  await send(stripe, customer, 70, hour - HOUR + 2, identifier);
  const range = { customer: customer.id, start_time: hour - HOUR, end_time: hour + HOUR };
  let page = await stripe.billing.meters.listEventSummaries(meter.id, range);
  assert.equal(page.data[0].aggregated_value, 120);

  const adj = await stripe.billing.meterEventAdjustments.create({
    event_name: 'alpaca_ai_tokens',
    type: 'cancel',
    cancel: { identifier },
  });
  assert.equal(adj.object, 'billing.meter_event_adjustment');
  assert.equal(adj.event_name, 'alpaca_ai_tokens');
  assert.equal(adj.type, 'cancel');
  assert.deepEqual(adj.cancel, { identifier });
  page = await stripe.billing.meters.listEventSummaries(meter.id, range);
  assert.equal(page.data[0].aggregated_value, 50);
});

test('a count meter counts events', async () => {
  const { stripe, meter, customer } = await setUp('summaries', { default_aggregation: { formula: 'count' } });
  const hour = Math.floor(Date.now() / 1000 / HOUR) * HOUR;
  for (let i = 0; i < 3; i++) await send(stripe, customer, 1000, hour - HOUR + i);
  const page = await stripe.billing.meters.listEventSummaries(meter.id, {
    customer: customer.id, start_time: hour - HOUR, end_time: hour + HOUR,
  });
  assert.equal(page.data[0].aggregated_value, 3);
});

test('summary parameters are checked', async () => {
  const { stripe, meter, customer } = await setUp('summaries');
  const hour = Math.floor(Date.now() / 1000 / HOUR) * HOUR;
  const missing = await expectStripeError(stripe.billing.meters.listEventSummaries(meter.id, { start_time: hour - HOUR, end_time: hour }));
  assert.ok(missing instanceof Stripe.errors.StripeInvalidRequestError);
  assert.equal(missing.code, 'parameter_missing');
  assert.equal(missing.param, 'customer');

  const unaligned = await expectStripeError(stripe.billing.meters.listEventSummaries(meter.id, {
    customer: customer.id, start_time: hour - HOUR + 7, end_time: hour,
  }));
  assert.ok(unaligned instanceof Stripe.errors.StripeInvalidRequestError);
  assert.equal(unaligned.statusCode, 400);
  assert.equal(unaligned.param, 'start_time');

  const noMeter = await expectStripeError(stripe.billing.meters.listEventSummaries('mtr_missing', {
    customer: customer.id, start_time: hour - HOUR, end_time: hour,
  }));
  assert.equal(noMeter.statusCode, 404);
  assert.equal(noMeter.code, 'resource_missing');
});
