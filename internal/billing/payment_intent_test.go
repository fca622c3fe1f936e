package billing

import (
	"errors"
	"testing"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
)

// newIntent stores a PaymentIntent of amount for the customer ("": none).
func (w *world) newIntent(customer string, amount int64, capture string) *PaymentIntent {
	pi := &PaymentIntent{Meta: w.meta("pi", payNow), Amount: amount, Currency: "usd", Customer: customer, Status: PaymentIntentRequiresPaymentMethod,
		CaptureMethod: capture, ConfirmationMethod: "automatic", Metadata: map[string]string{}}
	w.put(TablePaymentIntents, pi)
	return pi
}

// TestConfirmPaymentIntent: the PaymentIntent state machine without HTTP
// (ref §2.4, design-16 §2.2): each card class confirmed on- and
// off-session, what the intent, its charge and its payment method become,
// and the error a decline is (a 402 that commits, naming the charge, the
// intent and the payment method).
func TestConfirmPaymentIntent(t *testing.T) {
	for _, tc := range []struct {
		name, card      string
		offSession      bool
		capture         string
		status          PaymentIntentStatus
		charge          ChargeStatus // "": no charge
		code            string       // the 402's code ("": none)
		received, held  int64
		attachedAndSet  bool // setup_future_usage: the card attached and set up
		consumedNoOwner bool
	}{
		{name: "a working card", card: "visa", status: PaymentIntentSucceeded, charge: ChargeSucceeded, received: 2000, attachedAndSet: true},
		{name: "manual capture", card: "visa", capture: CaptureManual, status: PaymentIntentRequiresCapture, charge: ChargeSucceeded, held: 2000, attachedAndSet: true},
		{name: "a decline", card: "chargeDeclined", status: PaymentIntentRequiresPaymentMethod, charge: ChargeFailed, code: "card_declined"},
		{name: "3DS on session", card: "authenticationRequired", status: PaymentIntentRequiresAction},
		{name: "3DS off session", card: "authenticationRequired", offSession: true, status: PaymentIntentRequiresPaymentMethod, charge: ChargeFailed,
			code: "authentication_required"},
		{name: "set up for off session: no challenge", card: "authenticationRequiredSetupForOffSession", offSession: true,
			status: PaymentIntentSucceeded, charge: ChargeSucceeded, received: 2000, attachedAndSet: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			cu := w.customerWithoutCard("", payNow)
			capture := tc.capture
			if capture == "" {
				capture = CaptureAutomatic
			}
			pi := w.newIntent(cu.ID, 2000, capture)
			pi.SetupFutureUsage = SetupUsageOffSession
			pm := w.paymentMethod(tc.card, "")
			u := w.unit(payNow)
			got, err := ConfirmPaymentIntent(u, pi, PaymentConfirm{PaymentMethod: pm, OffSession: tc.offSession, ChallengeURL: "http://x/3ds"})
			stored, _ := Get[*PaymentIntent](u.Tx(), TablePaymentIntents, "payment_intent", pi.ID, "id")
			var e *apierr.Error
			switch {
			case tc.code != "":
				if !errors.As(err, &e) || e.Code != tc.code || !e.Commit || e.PaymentIntent.ID != pi.ID || e.PaymentMethod.ID != pm.ID || e.Charge != stored.LatestCharge {
					t.Fatalf("error %v (%+v), want a committing %s naming the intent, the payment method and the charge", err, e, tc.code)
				}
				if stored.LastError == nil || stored.PaymentMethod != "" || stored.FailedAttempts != 1 || stored.LastErrorPaymentMethod != pm.ID {
					t.Errorf("after the decline: %+v", stored)
				}
			case err != nil:
				t.Fatal(err)
			default:
				stored = got
			}
			if stored.Status != tc.status || stored.AmountReceived != tc.received || stored.AmountCapturable != tc.held {
				t.Errorf("status %s received %d capturable %d; want %s %d %d", stored.Status, stored.AmountReceived, stored.AmountCapturable, tc.status, tc.received, tc.held)
			}
			if tc.status == PaymentIntentRequiresAction && (stored.NextAction == nil || stored.NextAction.URL != "http://x/3ds") {
				t.Errorf("next action %+v", stored.NextAction)
			}
			if tc.charge == "" {
				if stored.LatestCharge != "" {
					t.Errorf("a charge %s, want none", stored.LatestCharge)
				}
				return
			}
			ch, err := Get[*Charge](u.Tx(), TableCharges, "charge", stored.LatestCharge, "charge")
			if err != nil {
				t.Fatal(err)
			}
			if ch.Status != tc.charge || ch.Amount != 2000 || ch.PaymentIntent != pi.ID || ch.Captured != (tc.charge == ChargeSucceeded && capture != CaptureManual) {
				t.Errorf("charge %s, amount %d, intent %s, captured %v", ch.Status, ch.Amount, ch.PaymentIntent, ch.Captured)
			}
			after, _ := Get[*PaymentMethod](u.Tx(), TablePaymentMethods, "PaymentMethod", pm.ID, "id")
			if tc.attachedAndSet != (after.Customer == cu.ID && after.SetUp) || !after.Verified {
				t.Errorf("the payment method: customer %q, set up %v, verified %v", after.Customer, after.SetUp, after.Verified)
			}
		})
	}
}

// TestPaymentIntentTransitions: capture, cancel and confirm refused in the
// wrong state, and an invoice's intent canceled only by voiding its invoice.
func TestPaymentIntentTransitions(t *testing.T) {
	w := newWorld(t)
	cu := w.customerWithoutCard("", payNow)
	held := w.newIntent(cu.ID, 3000, CaptureManual)
	pm := w.paymentMethod("visa", cu.ID)
	u := w.unit(payNow)
	held, err := ConfirmPaymentIntent(u, held, PaymentConfirm{PaymentMethod: pm})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CapturePaymentIntent(u, held, Some(int64(3001))); apiParam(err) != "amount_to_capture" {
		t.Errorf("capturing more than held: %v", err)
	}
	done, err := CapturePaymentIntent(u, held, Some(int64(2500)))
	if err != nil || done.Status != PaymentIntentSucceeded || done.AmountReceived != 2500 {
		t.Fatalf("captured: %+v %v", done, err)
	}
	for name, call := range map[string]func() error{
		"capture a succeeded intent": func() error { _, err := CapturePaymentIntent(u, done, Opt[int64]{}); return err },
		"cancel a succeeded intent":  func() error { _, err := CancelPaymentIntent(u, done, ""); return err },
		"confirm a succeeded intent": func() error { _, err := ConfirmPaymentIntent(u, done, PaymentConfirm{PaymentMethod: pm}); return err },
		"cancel an invoice's intent": func() error {
			inv := &PaymentIntent{Meta: w.meta("pi", payNow), Invoice: "in_1", Status: PaymentIntentRequiresPaymentMethod}
			_, err := CancelPaymentIntent(u, inv, "")
			return err
		},
	} {
		var e *apierr.Error
		if err := call(); !errors.As(err, &e) || e.Code != "payment_intent_unexpected_state" {
			t.Errorf("%s: %v", name, err)
		}
	}
}
