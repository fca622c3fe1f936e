// Idempotency keys, given by hand (idempotencyKey) and the ones stripe-node
// makes for its own retries.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'node:test';
import { Stripe, expectStripeError, newClient } from '../support/emulator.mjs';

test('the same key twice gives the same object, replayed', async () => {
  const stripe = newClient('idempotency');
  const key = `node-${crypto.randomUUID()}`;
  const first = await stripe.customers.create({ name: 'John Doe', metadata: { n: '1' } }, { idempotencyKey: key });
  const second = await stripe.customers.create({ name: 'John Doe', metadata: { n: '1' } }, { idempotencyKey: key });
  assert.deepEqual(second, first);
  assert.equal(first.lastResponse.idempotencyKey, key);
  assert.equal(second.lastResponse.idempotencyKey, key);
  assert.equal(first.lastResponse.headers['idempotent-replayed'], undefined);
  assert.equal(second.lastResponse.headers['idempotent-replayed'], 'true');
  assert.match(first.lastResponse.requestId, /^req_/);

  // Only one customer was created.
  const all = await stripe.customers.list({ limit: 100 });
  assert.deepEqual(all.data.map((c) => c.id), [first.id]);
});

test('the same key with other parameters is a StripeIdempotencyError', async () => {
  const stripe = newClient('idempotency');
  const key = `node-${crypto.randomUUID()}`;
  await stripe.customers.create({ name: 'John Doe' }, { idempotencyKey: key });
  const err = await expectStripeError(stripe.customers.create({ name: 'Jane Doe' }, { idempotencyKey: key }));
  assert.ok(err instanceof Stripe.errors.StripeIdempotencyError, err.constructor.name);
  assert.equal(err.type, 'StripeIdempotencyError');
  assert.equal(err.rawType, 'idempotency_error');
  assert.equal(err.statusCode, 400);
  assert.equal(
    err.message,
    `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
  );
  assert.match(err.requestId, /^req_/);

  // On another endpoint too.
  const other = await expectStripeError(stripe.products.create({ name: 'John Doe' }, { idempotencyKey: key }));
  assert.ok(other instanceof Stripe.errors.StripeIdempotencyError, other.constructor.name);
});

test('a replayed error is the same error', async () => {
  const stripe = newClient('idempotency');
  const key = `node-${crypto.randomUUID()}`;
  const params = { customer: 'cus_nope', items: [{ price: 'price_nope' }] };
  const first = await expectStripeError(stripe.subscriptions.create(params, { idempotencyKey: key }));
  const second = await expectStripeError(stripe.subscriptions.create(params, { idempotencyKey: key }));
  assert.ok(second instanceof Stripe.errors.StripeInvalidRequestError);
  assert.equal(second.code, first.code);
  assert.equal(second.param, first.param);
  assert.equal(second.message, first.message);
});

test("stripe-node's own retry keys: every POST gets one, and each is its own request", async () => {
  const stripe = newClient('idempotency', { maxNetworkRetries: 2 });
  const a = await stripe.customers.create({ name: 'A' });
  const b = await stripe.customers.create({ name: 'A' });
  assert.notEqual(a.id, b.id);
  assert.match(a.lastResponse.idempotencyKey, /^stripe-node-retry-/);
  assert.notEqual(a.lastResponse.idempotencyKey, b.lastResponse.idempotencyKey);
});

test('a meter event identifier is refused the second time, and not retried', async () => {
  const stripe = newClient('idempotency', { maxNetworkRetries: 2 });
  await stripe.billing.meters.create({
    display_name: 'Alpaca AI tokens',
    event_name: 'alpaca_ai_tokens',
    default_aggregation: { formula: 'sum' },
  });
  const customer = await stripe.customers.create({ name: 'John Doe' });
  const params = {
    event_name: 'alpaca_ai_tokens',
    identifier: `evt-${crypto.randomUUID()}`,
    payload: { stripe_customer_id: customer.id, value: '10' },
  };
  const ev = await stripe.billing.meterEvents.create(params);
  assert.equal(ev.identifier, params.identifier);
  const err = await expectStripeError(stripe.billing.meterEvents.create(params));
  assert.ok(err instanceof Stripe.errors.StripeInvalidRequestError);
  assert.equal(err.statusCode, 400);
  assert.equal(err.message, `An event already exists with identifier ${params.identifier}.`);
  assert.equal(err.headers['stripe-should-retry'], 'false');
});
