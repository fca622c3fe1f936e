// stripe-node 23.1.0 (npm alias stripe23), which pins 2026-10-28.endive and
// needs Node 20 or later (compat/node_test.go leaves this file out on older
// ones, saying so).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Stripe from 'stripe23';
import { alpaca, pausePreview, pinned } from '../support/versions.mjs';

const pin = '2026-10-28.endive';

test('stripe-node 23: the Alpaca AI walkthrough bills 12 cents on createPreview', async () => {
  const { stripe, subscription } = await alpaca(Stripe, { pin, mode: 'flexible', streamHost: false });
  // endive's billing_cycle_anchor is an object.
  const updated = await stripe.subscriptions.update(subscription.id, { billing_cycle_anchor: { type: 'unchanged' } });
  assert.equal(updated.billing_cycle_anchor, subscription.billing_cycle_anchor);
});

test('stripe-node 23: an endpoint pinned to 2026-10-28.endive receives events of that version', async () => {
  await pinned(Stripe, { pin });
});

test('stripe-node 23: createPreview of a pause is the invoice the pause makes', async () => {
  await pausePreview(Stripe);
});
