// Payments with stripe-node 16: a subscription created with
// payment_behavior=default_incomplete waits for its first payment, and
// confirming the invoice's PaymentIntent pays it (design-16 §5.4).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Stripe, expectStripeError, newClient } from '../support/emulator.mjs';

async function incompleteSubscription(stripe) {
  const price = await stripe.prices.create({ currency: 'usd', unit_amount: 1000, recurring: { interval: 'month' }, product_data: { name: 'Seat' } });
  const customer = await stripe.customers.create({ name: 'Incomplete' });
  const subscription = await stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: price.id }],
    payment_behavior: 'default_incomplete',
    expand: ['latest_invoice.payment_intent'],
  });
  return { customer, subscription };
}

test('default_incomplete, then the PaymentIntent confirmed with a good card, activates the subscription', async () => {
  const stripe = newClient('payments_incomplete');
  const { customer, subscription } = await incompleteSubscription(stripe);
  assert.equal(subscription.status, 'incomplete');
  const invoice = subscription.latest_invoice;
  assert.equal(invoice.status, 'open');
  const intent = invoice.payment_intent;
  assert.equal(intent.status, 'requires_payment_method');
  assert.equal(intent.amount, 1000);
  assert.match(intent.client_secret, /^pi_\w+_secret_\w+$/);

  const confirmed = await stripe.paymentIntents.confirm(intent.id, { payment_method: 'pm_card_visa' });
  assert.equal(confirmed.status, 'succeeded');
  assert.equal(confirmed.amount_received, 1000);

  const after = await stripe.subscriptions.retrieve(subscription.id, { expand: ['latest_invoice'] });
  assert.equal(after.status, 'active');
  assert.equal(after.latest_invoice.status, 'paid');
  assert.equal(after.latest_invoice.amount_paid, 1000);
  const charges = await stripe.charges.list({ customer: customer.id });
  assert.deepEqual(charges.data.map((c) => [c.status, c.amount]), [['succeeded', 1000]]);
  // The PaymentIntent saved the card for future use: it is the customer's.
  const methods = await stripe.customers.listPaymentMethods(customer.id);
  assert.deepEqual(methods.data.map((m) => m.id), [confirmed.payment_method]);
});

test('confirming with a declining card is a StripeCardError, and the subscription stays incomplete', async () => {
  const stripe = newClient('payments_declined');
  const { subscription } = await incompleteSubscription(stripe);
  const intent = subscription.latest_invoice.payment_intent;
  const err = await expectStripeError(stripe.paymentIntents.confirm(intent.id, { payment_method: 'pm_card_visa_chargeDeclined' }));
  assert.ok(err instanceof Stripe.errors.StripeCardError, err.constructor.name);
  assert.equal(err.statusCode, 402);
  assert.equal(err.code, 'card_declined');
  assert.equal(err.decline_code, 'generic_decline');
  assert.equal(err.raw.payment_intent.status, 'requires_payment_method');
  assert.match(err.raw.charge, /^ch_/);
  const after = await stripe.subscriptions.retrieve(subscription.id, { expand: ['latest_invoice'] });
  assert.equal(after.status, 'incomplete');
  assert.equal(after.latest_invoice.status, 'open');
  assert.equal(after.latest_invoice.attempt_count, 1);
});
