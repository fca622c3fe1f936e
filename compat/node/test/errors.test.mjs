// Stripe's error envelope as stripe-node exposes it: the error class chosen
// from type and status, and err.type, err.rawType, err.code, err.param,
// err.message, err.statusCode, err.requestId, err.doc_url, err.headers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Stripe, client, expectStripeError, newClient } from '../support/emulator.mjs';

const { errors } = Stripe;

function assertInvalidRequest(err, { status, code, param, message }) {
  assert.ok(err instanceof errors.StripeInvalidRequestError, `${err.constructor.name}: ${err.message}`);
  assert.equal(err.type, 'StripeInvalidRequestError');
  assert.equal(err.rawType, 'invalid_request_error');
  assert.equal(err.statusCode, status);
  assert.equal(err.code, code);
  assert.equal(err.param, param);
  if (message instanceof RegExp) {
    assert.match(err.message, message);
  } else {
    assert.equal(err.message, message);
  }
  assert.match(err.requestId, /^req_\w{14,}$/);
  assert.equal(err.headers['request-id'], err.requestId);
  if (code) {
    assert.equal(err.doc_url, `https://stripe.com/docs/error-codes/${code.replaceAll('_', '-')}`);
  }
}

test('a missing object is a 404 resource_missing with param id', async () => {
  const stripe = newClient('errors');
  const err = await expectStripeError(stripe.customers.retrieve('cus_missing'));
  assertInvalidRequest(err, {
    status: 404,
    code: 'resource_missing',
    param: 'id',
    message: "No such customer: 'cus_missing'",
  });
  for (const [resource, id] of [['prices', 'price_missing'], ['products', 'prod_missing'],
    ['subscriptions', 'sub_missing'], ['invoices', 'in_missing']]) {
    const e = await expectStripeError(stripe[resource].retrieve(id));
    assertInvalidRequest(e, { status: 404, code: 'resource_missing', param: 'id', message: /^No such \w+: '\w+_missing'$/ });
  }
});

test('a missing object named in a parameter is a 400 resource_missing with that param', async () => {
  const stripe = newClient('errors');
  const err = await expectStripeError(stripe.subscriptions.create({
    customer: 'cus_nope',
    items: [{ price: 'price_nope' }],
  }));
  assertInvalidRequest(err, {
    status: 400,
    code: 'resource_missing',
    param: 'customer',
    message: "No such customer: 'cus_nope'",
  });
});

test('an unknown parameter is parameter_unknown', async () => {
  const stripe = newClient('errors');
  const err = await expectStripeError(stripe.customers.create({ nmae: 'John Doe' }));
  assertInvalidRequest(err, {
    status: 400,
    code: 'parameter_unknown',
    param: 'nmae',
    message: /^Received unknown parameter: nmae/,
  });
});

test('a missing required parameter is parameter_missing', async () => {
  const stripe = newClient('errors');
  const err = await expectStripeError(stripe.subscriptions.create({ items: [{ price: 'price_x' }] }));
  assertInvalidRequest(err, {
    status: 400,
    code: 'parameter_missing',
    param: 'customer',
    message: 'Missing required param: customer.',
  });
  const meterErr = await expectStripeError(stripe.billing.meters.create({ display_name: 'x', event_name: 'x' }));
  assertInvalidRequest(meterErr, {
    status: 400,
    code: 'parameter_missing',
    param: 'default_aggregation',
    message: 'Missing required param: default_aggregation.',
  });
});

test('a malformed or out-of-range integer is parameter_invalid_integer', async () => {
  const stripe = newClient('errors');
  const err = await expectStripeError(stripe.customers.list({ limit: 'abc' }));
  assertInvalidRequest(err, {
    status: 400,
    code: 'parameter_invalid_integer',
    param: 'limit',
    message: 'Invalid integer: abc',
  });
  const tooMany = await expectStripeError(stripe.customers.list({ limit: 101 }));
  assertInvalidRequest(tooMany, { status: 400, code: 'parameter_invalid_integer', param: 'limit', message: /100/ });
});

test('an unknown route is a 404 without a code', async () => {
  const stripe = newClient('errors');
  // stripe-node's documented way to call an endpoint it has no method for.
  const Custom = Stripe.StripeResource.extend({
    nothing: Stripe.StripeResource.method({ method: 'GET', fullPath: '/v1/nothing_here' }),
  });
  const err = await expectStripeError(new Custom(stripe).nothing());
  assert.ok(err instanceof errors.StripeInvalidRequestError);
  assert.equal(err.statusCode, 404);
  assert.equal(err.code, undefined);
  assert.match(err.message, /^Unrecognized request URL \(GET: \/v1\/nothing_here\)/);
});

test('an invalid API key is a StripeAuthenticationError', async () => {
  const err = await expectStripeError(client('rk_nonsense').customers.list());
  assert.ok(err instanceof errors.StripeAuthenticationError, err.constructor.name);
  assert.equal(err.type, 'StripeAuthenticationError');
  assert.equal(err.rawType, 'invalid_request_error');
  assert.equal(err.statusCode, 401);
  assert.match(err.message, /^Invalid API Key provided/);
  assert.match(err.requestId, /^req_/);
});

test('a deleted customer retrieves as deleted, and a second delete is resource_missing', async () => {
  const stripe = newClient('errors');
  const c = await stripe.customers.create({ name: 'Gone' });
  const del = await stripe.customers.del(c.id);
  assert.deepEqual({ ...del }, { id: c.id, object: 'customer', deleted: true });
  const got = await stripe.customers.retrieve(c.id);
  assert.equal(got.deleted, true);
  const err = await expectStripeError(stripe.customers.del(c.id));
  assertInvalidRequest(err, { status: 404, code: 'resource_missing', param: 'id', message: `No such customer: '${c.id}'` });
});

test('errors arrive through callbacks too', async () => {
  const stripe = newClient('errors');
  const err = await new Promise((resolve) => {
    stripe.customers.retrieve('cus_missing', (e, c) => {
      assert.equal(c, null);
      resolve(e);
    });
  });
  assert.ok(err instanceof errors.StripeInvalidRequestError);
  assert.equal(err.code, 'resource_missing');
});

test("every response's headers, as lastResponse and the response event show them", async () => {
  const stripe = newClient('errors');
  const seen = [];
  stripe.on('response', (e) => seen.push(e));
  const c = await stripe.customers.create({ name: 'Headers' });
  assert.equal(c.lastResponse.statusCode, 200);
  assert.match(c.lastResponse.requestId, /^req_\w{14,}$/);
  assert.equal(c.lastResponse.apiVersion, '2024-06-20');
  await expectStripeError(stripe.customers.retrieve('cus_missing'));
  assert.deepEqual(seen.map((e) => [e.method, e.path, e.status, e.api_version]), [
    ['POST', '/v1/customers', 200, '2024-06-20'],
    ['GET', '/v1/customers/cus_missing', 404, '2024-06-20'],
  ]);
  assert.equal(seen[0].request_id, c.lastResponse.requestId);
  assert.match(seen[1].request_id, /^req_/);
});
