// Webhooks: an endpoint created through the API gets a whsec_ secret; the
// emulator POSTs the events it wants to a receiver running here, and
// stripe.webhooks.constructEvent verifies the delivered payload with it.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { Stripe, expectStripeError, newClient } from '../support/emulator.mjs';

// receiver is an HTTP server on 127.0.0.1 that keeps every delivery's raw body
// and headers, and answers 200.
const deliveries = [];
const waiters = [];
const receiver = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    deliveries.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks) });
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{"received":true}');
    for (const w of waiters.splice(0)) w();
  });
});
let receiverURL;

before(async () => {
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverURL = `http://127.0.0.1:${receiver.address().port}`;
});
after(() => new Promise((resolve) => receiver.close(resolve)));

// delivered waits (up to 15 s) for a delivery to path whose event is of type.
async function delivered(path, type) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const d = deliveries.find((x) => x.url === path && JSON.parse(x.body.toString('utf8')).type === type);
    if (d) return d;
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new Error(`no ${type} delivered to ${path} in 15 s; got ${deliveries.map((x) => `${x.url} ${JSON.parse(x.body).type}`).join(', ') || 'nothing'}`);
    }
    await new Promise((resolve) => {
      const t = setTimeout(resolve, Math.min(left, 250));
      waiters.push(() => { clearTimeout(t); resolve(); });
    });
  }
}

test('a delivered event verifies with constructEvent and the endpoint secret', async () => {
  const stripe = newClient('webhooks');
  const endpoint = await stripe.webhookEndpoints.create({
    url: `${receiverURL}/hooks/one`,
    enabled_events: ['customer.created', 'customer.updated'],
    description: 'stripe-node compat',
  });
  assert.match(endpoint.id, /^we_/);
  assert.equal(endpoint.object, 'webhook_endpoint');
  assert.equal(endpoint.url, `${receiverURL}/hooks/one`);
  assert.deepEqual(endpoint.enabled_events, ['customer.created', 'customer.updated']);
  assert.equal(endpoint.status, 'enabled');
  assert.match(endpoint.secret, /^whsec_/);

  const customer = await stripe.customers.create({ name: 'John Doe', email: 'john@example.com' });
  const d = await delivered('/hooks/one', 'customer.created');
  assert.equal(d.method, 'POST');
  assert.match(d.headers['content-type'], /^application\/json/);
  const header = d.headers['stripe-signature'];
  assert.match(header, /^t=\d+,v1=[0-9a-f]{64}$/);

  // stripe-node verifies the raw body with the secret (default tolerance 300 s).
  const event = stripe.webhooks.constructEvent(d.body, header, endpoint.secret);
  assert.match(event.id, /^evt_/);
  assert.equal(event.object, 'event');
  assert.equal(event.type, 'customer.created');
  assert.equal(event.api_version, '2024-06-20');
  assert.equal(event.livemode, false);
  assert.equal(typeof event.created, 'number');
  assert.equal(event.data.object.object, 'customer');
  assert.equal(event.data.object.id, customer.id);
  assert.equal(event.data.object.name, 'John Doe');
  assert.equal(event.request.id, customer.lastResponse.requestId);
  assert.equal(event.request.idempotency_key, customer.lastResponse.idempotencyKey);
  // As a string, and asynchronously, too.
  assert.equal(stripe.webhooks.constructEvent(d.body.toString('utf8'), header, endpoint.secret).id, event.id);
  assert.equal((await stripe.webhooks.constructEventAsync(d.body, header, endpoint.secret)).id, event.id);

  // The event is the one the API lists.
  const fetched = await stripe.events.retrieve(event.id);
  assert.equal(fetched.type, 'customer.created');
  assert.deepEqual(fetched.data.object, event.data.object);

  // A wrong secret or a changed payload does not verify.
  assert.throws(() => stripe.webhooks.constructEvent(d.body, header, 'whsec_wrong'), Stripe.errors.StripeSignatureVerificationError);
  const tampered = Buffer.from(d.body.toString('utf8').replace('John Doe', 'Jane Doe'));
  assert.throws(() => stripe.webhooks.constructEvent(tampered, header, endpoint.secret), Stripe.errors.StripeSignatureVerificationError);

  // An update is delivered with previous_attributes.
  await stripe.customers.update(customer.id, { name: 'John Q. Doe' });
  const u = await delivered('/hooks/one', 'customer.updated');
  const updated = stripe.webhooks.constructEvent(u.body, u.headers['stripe-signature'], endpoint.secret);
  assert.equal(updated.data.object.name, 'John Q. Doe');
  assert.deepEqual(updated.data.previous_attributes, { name: 'John Doe' });
});

test('only wanted events are delivered, each endpoint with its own secret', async () => {
  const stripe = newClient('webhooks');
  const products = await stripe.webhookEndpoints.create({ url: `${receiverURL}/hooks/products`, enabled_events: ['product.created'] });
  const everything = await stripe.webhookEndpoints.create({ url: `${receiverURL}/hooks/all`, enabled_events: ['*'] });
  assert.notEqual(products.secret, everything.secret);

  // Only create returns the secret.
  const got = await stripe.webhookEndpoints.retrieve(products.id);
  assert.equal(got.secret, undefined);
  const listed = await stripe.webhookEndpoints.list();
  assert.deepEqual(new Set(listed.data.map((w) => w.id)), new Set([products.id, everything.id]));

  await stripe.customers.create({ name: 'Not for products' });
  const product = await stripe.products.create({ name: 'Alpaca AI' });

  const p = await delivered('/hooks/products', 'product.created');
  const pe = stripe.webhooks.constructEvent(p.body, p.headers['stripe-signature'], products.secret);
  assert.equal(pe.data.object.id, product.id);
  assert.throws(() => stripe.webhooks.constructEvent(p.body, p.headers['stripe-signature'], everything.secret),
    Stripe.errors.StripeSignatureVerificationError);

  const a = await delivered('/hooks/all', 'customer.created');
  stripe.webhooks.constructEvent(a.body, a.headers['stripe-signature'], everything.secret);
  await delivered('/hooks/all', 'product.created');
  assert.equal(deliveries.filter((x) => x.url === '/hooks/products' && JSON.parse(x.body).type !== 'product.created').length, 0);

  const del = await stripe.webhookEndpoints.del(products.id);
  assert.equal(del.deleted, true);
  const err = await expectStripeError(stripe.webhookEndpoints.retrieve(products.id));
  assert.equal(err.code, 'resource_missing');
  assert.equal(err.statusCode, 404);
});
