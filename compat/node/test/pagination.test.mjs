// Auto-pagination: stripe-node follows has_more with starting_after (or
// ending_before when iterating backwards), and search pages with next_page.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { newClient } from '../support/emulator.mjs';

const stripe = newClient('pagination');
const total = 27;
let created = []; // newest first, as lists return them

before(async () => {
  for (let i = 0; i < total; i++) {
    const c = await stripe.customers.create({
      name: `Pager ${i}`,
      email: `pager${i}@example.com`,
      metadata: { batch: 'pager', i: String(i) },
    });
    created.unshift(c.id);
  }
});

test('one page: limit, has_more, url, newest first', async () => {
  const page = await stripe.customers.list({ limit: 10 });
  assert.equal(page.object, 'list');
  assert.equal(page.url, '/v1/customers');
  assert.equal(page.has_more, true);
  assert.deepEqual(page.data.map((c) => c.id), created.slice(0, 10));
  const last = await stripe.customers.list({ limit: 10, starting_after: created[19] });
  assert.equal(last.has_more, false);
  assert.deepEqual(last.data.map((c) => c.id), created.slice(20));
});

test('for await walks every page', async () => {
  const seen = [];
  for await (const c of stripe.customers.list({ limit: 4 })) {
    assert.equal(c.object, 'customer');
    seen.push(c.id);
  }
  assert.deepEqual(seen, created);
});

test('for await can stop early', async () => {
  const seen = [];
  for await (const c of stripe.customers.list({ limit: 5 })) {
    seen.push(c.id);
    if (seen.length === 7) break;
  }
  assert.deepEqual(seen, created.slice(0, 7));
});

test('autoPagingToArray with a limit', async () => {
  const all = await stripe.customers.list({ limit: 10 }).autoPagingToArray({ limit: 100 });
  assert.deepEqual(all.map((c) => c.id), created);
  const some = await stripe.customers.list({ limit: 10 }).autoPagingToArray({ limit: 15 });
  assert.deepEqual(some.map((c) => c.id), created.slice(0, 15));
});

test('autoPagingEach', async () => {
  const seen = [];
  await stripe.customers.list({ limit: 6 }).autoPagingEach((c) => {
    seen.push(c.id);
  });
  assert.deepEqual(seen, created);
});

test('backwards from ending_before', async () => {
  // Everything newer than the 20th newest, oldest of those first.
  const seen = await stripe.customers.list({ limit: 3, ending_before: created[20] }).autoPagingToArray({ limit: 100 });
  assert.deepEqual(seen.map((c) => c.id), created.slice(0, 20).reverse());
});

test('a list filter holds across pages', async () => {
  const one = await stripe.customers.list({ email: 'pager3@example.com', limit: 2 }).autoPagingToArray({ limit: 10 });
  assert.deepEqual(one.map((c) => c.id), [created[total - 1 - 3]]);
});

test('search pages with next_page', async () => {
  const first = await stripe.customers.search({ query: "metadata['batch']:'pager'", limit: 10 });
  assert.equal(first.object, 'search_result');
  assert.equal(first.url, '/v1/customers/search');
  assert.equal(first.has_more, true);
  assert.equal(typeof first.next_page, 'string');
  const all = await stripe.customers.search({ query: "metadata['batch']:'pager'", limit: 10 }).autoPagingToArray({ limit: 100 });
  assert.equal(all.length, total);
  assert.deepEqual(new Set(all.map((c) => c.id)), new Set(created));
});

test('invoice lines page too, upcoming and finalized', async () => {
  const s = newClient('pagination_lines');
  const a = await s.prices.create({ product_data: { name: 'A' }, currency: 'usd', unit_amount: 1000, recurring: { interval: 'month' } });
  const b = await s.prices.create({ product_data: { name: 'B' }, currency: 'usd', unit_amount: 300, recurring: { interval: 'month' } });
  const c = await s.customers.create({ name: 'Lines', payment_method: 'pm_card_visa', invoice_settings: { default_payment_method: 'pm_card_visa' } });
  await s.subscriptions.create({ customer: c.id, items: [{ price: a.id }, { price: b.id, quantity: 2 }] });
  await s.invoiceItems.create({ customer: c.id, amount: 55, currency: 'usd', description: 'one-off' });

  const upcoming = await s.invoices.retrieveUpcoming({ customer: c.id });
  assert.equal(upcoming.lines.data.length, 3);
  const paged = await s.invoices.listUpcomingLines({ customer: c.id, limit: 1 }).autoPagingToArray({ limit: 10 });
  assert.deepEqual(paged.map((l) => l.amount), upcoming.lines.data.map((l) => l.amount));
  assert.equal(paged.reduce((n, l) => n + l.amount, 0), upcoming.amount_due);

  // The first invoice (subscription_create) has the two subscription lines.
  const [first] = (await s.invoices.list({ customer: c.id })).data;
  const lines = [];
  for await (const l of s.invoices.listLineItems(first.id, { limit: 1 })) lines.push(l);
  assert.deepEqual(lines.map((l) => l.amount).sort((x, y) => x - y), [600, 1000]);
  assert.equal(new Set(lines.map((l) => l.id)).size, 2);
});
