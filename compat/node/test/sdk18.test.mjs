// stripe-node 18.5.0 (npm alias stripe18), which pins 2025-08-27.basil.
import { test } from 'node:test';
import Stripe from 'stripe18';
import { alpaca, pinned } from '../support/versions.mjs';

const pin = '2025-08-27.basil';

test('stripe-node 18: the Alpaca AI walkthrough bills 12 cents on createPreview', async () => {
  await alpaca(Stripe, { pin, mode: 'classic', streamHost: true });
});

test('stripe-node 18: an endpoint pinned to 2025-08-27.basil receives events of that version', async () => {
  await pinned(Stripe, { pin });
});
