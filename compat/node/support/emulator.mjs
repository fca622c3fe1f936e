// Shared set-up for the stripe-node compatibility tests: a stripe-node client
// pointed at the emulator, configured as a user would (host, port, protocol).
import crypto from 'node:crypto';
import Stripe from 'stripe';

export { Stripe };

// STRIPE_EMULATOR_URL is set by compat/node_test.go to the binary it started;
// by hand, start the emulator (go run ./cmd/stripe-emulator) and run npm test.
export const emulatorURL = new URL(process.env.STRIPE_EMULATOR_URL || 'http://127.0.0.1:12111');

// newKey is a fresh test-mode key: each key is its own account on the emulator,
// so every test starts from an empty account.
export function newKey(name) {
  return `sk_test_node_${name}_${crypto.randomBytes(8).toString('hex')}`;
}

// client is stripe-node for the key, talking to the emulator over plain HTTP.
export function client(key, opts = {}) {
  const protocol = emulatorURL.protocol.replace(/:$/, '');
  return new Stripe(key, {
    apiVersion: '2024-06-20',
    host: emulatorURL.hostname,
    port: emulatorURL.port || (protocol === 'https' ? 443 : 80),
    protocol,
    timeout: 30_000,
    ...opts,
  });
}

// newClient is client(newKey(name)).
export function newClient(name, opts = {}) {
  return client(newKey(name), opts);
}

// expectStripeError awaits p, which must fail with a Stripe error, and returns it.
export async function expectStripeError(p) {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof Stripe.errors.StripeError)) {
      throw new Error(`expected a StripeError, got ${err && err.stack ? err.stack : err}`);
    }
    return err;
  }
  throw new Error('expected the request to fail, it succeeded');
}
