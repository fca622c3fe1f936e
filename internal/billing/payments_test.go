package billing

import (
	"errors"
	"testing"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/billing/calc"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

const payNow = 1_719_792_000

// paymentMethod stores a payment method of a test card (by key), attached
// to customer ("": none).
func (w *world) paymentMethod(card, customer string) *PaymentMethod {
	pm := &PaymentMethod{Meta: w.meta("pm", payNow), Customer: customer, Card: card, ExpMonth: 12, ExpYear: 2030,
		CVCGiven: true, Verified: customer != "", AllowRedisplay: "unspecified", Metadata: map[string]string{}}
	w.put(TablePaymentMethods, pm)
	return pm
}

// get is a stored record, or nil.
func (w *world) get(table, id string) store.Record {
	w.t.Helper()
	tx := w.db.Read()
	defer tx.Abort()
	r, err := tx.Get(table, id)
	if err != nil {
		w.t.Fatal(err)
	}
	return r
}

// TestPaymentMethodFor: the method an invoice is charged on comes from the
// invoice, else the subscription, else the customer's invoice settings (ref
// §2.8); a method merely attached is never used, nor one a default names
// that the customer no longer has.
func TestPaymentMethodFor(t *testing.T) {
	w := newWorld(t)
	cu := w.customer("", payNow)
	other := w.customer("", payNow)
	pr := w.price(w.product("P", "").ID, "usd", func(p *Price) { p.UnitAmount = dec("1000") })
	sub, _ := w.subscription(cu, payNow, pr)
	inv, subPM, custPM := w.paymentMethod("visa", cu.ID), w.paymentMethod("mastercard", cu.ID), w.paymentMethod("amex", cu.ID)
	attachedOnly := w.paymentMethod("discover", cu.ID)
	othersPM := w.paymentMethod("jcb", other.ID)
	detached := w.paymentMethod("diners", "")
	set := func(subDefault, custDefault string) {
		s := sub.Clone()
		s.DefaultPaymentMethod = subDefault
		c := cu.Clone()
		c.DefaultPaymentMethod = custDefault
		w.put(TableSubscriptions, s)
		w.put(TableCustomers, c)
	}
	for _, tc := range []struct {
		name                            string
		invoiceDefault, subDefault, cus string
		subscription                    string
		want                            string
	}{
		{name: "the invoice's first", invoiceDefault: inv.ID, subDefault: subPM.ID, cus: custPM.ID, subscription: sub.ID, want: inv.ID},
		{name: "then the subscription's", subDefault: subPM.ID, cus: custPM.ID, subscription: sub.ID, want: subPM.ID},
		{name: "then the customer's", cus: custPM.ID, subscription: sub.ID, want: custPM.ID},
		{name: "an invoice without a subscription: the customer's", subDefault: subPM.ID, cus: custPM.ID, want: custPM.ID},
		{name: "attached but default nowhere: none", subscription: sub.ID, want: ""},
		{name: "another customer's method is passed over", invoiceDefault: othersPM.ID, cus: custPM.ID, subscription: sub.ID, want: custPM.ID},
		{name: "a detached one is passed over", subDefault: detached.ID, subscription: sub.ID, want: ""},
		{name: "an unknown id is passed over", invoiceDefault: "pm_gone", cus: attachedOnly.ID, want: attachedOnly.ID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set(tc.subDefault, tc.cus)
			u := w.unit(payNow)
			got, err := PaymentMethodFor(u, cu.ID, tc.subscription, tc.invoiceDefault)
			w.commit()
			if err != nil {
				t.Fatal(err)
			}
			if id := idOf(got); id != tc.want {
				t.Errorf("got %q, want %q", id, tc.want)
			}
		})
	}
}

func idOf(pm *PaymentMethod) string {
	if pm == nil {
		return ""
	}
	return pm.ID
}

// TestAttachAndDetach: attach refuses what is attached or detached and the
// cards that cannot be attached (storing nothing); detach clears the
// defaults that named the method.
func TestAttachAndDetach(t *testing.T) {
	w := newWorld(t)
	cu := w.customer("", payNow)
	pr := w.price(w.product("P", "").ID, "usd", func(p *Price) { p.UnitAmount = dec("1000") })
	sub, _ := w.subscription(cu, payNow, pr)
	for _, tc := range []struct {
		name, card string
		prepare    func(pm *PaymentMethod) *PaymentMethod
		code       string
		status     int
	}{
		{name: "a working card", card: "visa"},
		{name: "a card that charges fail attaches", card: "chargeCustomerFail"},
		{name: "a declining card", card: "chargeDeclined", code: "card_declined", status: 402},
		{name: "an expired card", card: "chargeDeclinedExpiredCard", code: "expired_card", status: 402},
		{name: "already attached", card: "visa", prepare: func(pm *PaymentMethod) *PaymentMethod { pm.Customer = cu.ID; return pm },
			code: "payment_method_unexpected_state", status: 400},
		{name: "detached before", card: "visa", prepare: func(pm *PaymentMethod) *PaymentMethod { pm.Consumed = true; return pm },
			code: "payment_method_unexpected_state", status: 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pm := w.paymentMethod(tc.card, "")
			if tc.prepare != nil {
				pm = tc.prepare(pm.Clone())
				w.put(TablePaymentMethods, pm)
			}
			u := w.unit(payNow)
			got, err := Attach(u, pm, cu.ID)
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				w.commit()
				stored := w.get(TablePaymentMethods, pm.ID).(*PaymentMethod)
				if got.Customer != cu.ID || stored.Customer != cu.ID || !stored.Verified {
					t.Errorf("attached: %+v", stored)
				}
				return
			}
			w.tx.Abort()
			w.tx = nil
			var e *apierr.Error
			if !errors.As(err, &e) || e.Code != tc.code || e.Status != tc.status {
				t.Fatalf("err = %v, want %d %s", err, tc.status, tc.code)
			}
			if tc.status == 402 && e.PaymentMethod.ID != pm.ID {
				t.Errorf("the card error names %q, not the payment method", e.PaymentMethod.ID)
			}
		})
	}

	t.Run("detach clears the defaults", func(t *testing.T) {
		pm := w.paymentMethod("visa", cu.ID)
		keep := w.paymentMethod("mastercard", cu.ID)
		c := w.get(TableCustomers, cu.ID).(*Customer).Clone()
		c.DefaultPaymentMethod = pm.ID
		w.put(TableCustomers, c)
		s := w.get(TableSubscriptions, sub.ID).(*Subscription).Clone()
		s.DefaultPaymentMethod = pm.ID
		w.put(TableSubscriptions, s)
		u := w.unit(payNow)
		got, err := Detach(u, pm)
		if err != nil {
			t.Fatal(err)
		}
		w.commit()
		if got.Customer != "" || !got.Consumed {
			t.Errorf("detached: %+v", got)
		}
		if d := w.get(TableCustomers, cu.ID).(*Customer).DefaultPaymentMethod; d != "" {
			t.Errorf("the customer's default is still %q", d)
		}
		if d := w.get(TableSubscriptions, sub.ID).(*Subscription).DefaultPaymentMethod; d != "" {
			t.Errorf("the subscription's default is still %q", d)
		}
		u = w.unit(payNow)
		if _, err := Detach(u, got); err == nil {
			t.Error("a second detach succeeded")
		}
		if _, err := Attach(u, got, cu.ID); err == nil {
			t.Error("a detached method was attached again")
		}
		if p, _ := PaymentMethodFor(u, cu.ID, sub.ID, ""); p != nil {
			t.Errorf("after detach, invoices are charged on %s", p.ID)
		}
		w.commit()
		_ = keep
	})
}

// TestChangeBalance: each change is a transaction whose ending balance is the
// customer's new balance; the first may give the customer its currency,
// another currency is refused, and so is a balance beyond the largest
// amount.
func TestChangeBalance(t *testing.T) {
	w := newWorld(t)
	clock := w.clock(payNow - 86400)
	cu := w.customer(clock.ID, payNow-86400)
	steps := []struct {
		name     string
		change   BalanceChange
		wantErr  string
		balance  int64
		currency string
	}{
		{name: "a credit sets the currency", change: BalanceChange{Amount: -500, Currency: "usd", Type: BalanceAdjustment, SetCurrency: true},
			balance: -500, currency: "usd"},
		{name: "a debit", change: BalanceChange{Amount: 200, Currency: "usd", Type: BalanceAdjustment}, balance: -300, currency: "usd"},
		{name: "another currency", change: BalanceChange{Amount: 100, Currency: "eur", Type: BalanceAdjustment, SetCurrency: true},
			wantErr: "currency", balance: -300, currency: "usd"},
		{name: "beyond the largest amount", change: BalanceChange{Amount: -calc.MaxAmount, Currency: "usd", Type: BalanceAdjustment},
			wantErr: "amount", balance: -300, currency: "usd"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			cur := w.get(TableCustomers, cu.ID).(*Customer)
			u := w.unit(payNow)
			txn, n, err := ChangeBalance(u, cur, st.change, "amount", "currency")
			if st.wantErr != "" {
				w.tx.Abort()
				w.tx = nil
				var e *apierr.Error
				if !errors.As(err, &e) || e.Param != st.wantErr {
					t.Fatalf("err = %v, want one naming %s", err, st.wantErr)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				w.commit()
				if txn.EndingBalance != st.balance || n.Balance != st.balance || txn.Amount != st.change.Amount {
					t.Errorf("transaction %+v, customer balance %d", txn, n.Balance)
				}
				if txn.Created != clock.frozen || txn.TestClock != clock.ID {
					t.Errorf("created %d on %q: the customer's clock is %s at %d", txn.Created, txn.TestClock, clock.ID, clock.frozen)
				}
			}
			stored := w.get(TableCustomers, cu.ID).(*Customer)
			if stored.Balance != st.balance || stored.Currency != st.currency {
				t.Errorf("customer balance %d %q, want %d %q", stored.Balance, stored.Currency, st.balance, st.currency)
			}
		})
	}
}

// TestSetupIntentStates: a confirm succeeds, asks for authentication or
// declines as the card says; authentication completes or fails; only open
// intents are confirmed or canceled.
func TestSetupIntentStates(t *testing.T) {
	w := newWorld(t)
	cu := w.customer("", payNow)
	newSI := func(status SetupIntentStatus) *SetupIntent {
		si := &SetupIntent{Meta: w.meta("seti", payNow), Customer: cu.ID, Status: status, Usage: SetupUsageOffSession, Metadata: map[string]string{}}
		w.put(TableSetupIntents, si)
		return si
	}
	for _, tc := range []struct {
		name       string
		card       string
		from       SetupIntentStatus
		noPM       bool
		want       SetupIntentStatus
		code       string // the error's code, if it fails
		commit     bool   // the error keeps the changes
		attached   bool
		authAfter  *bool // then authenticate: completed or failed
		afterAuth  SetupIntentStatus
		authFailed bool
	}{
		{name: "a working card", card: "visa", from: SetupIntentRequiresConfirmation, want: SetupIntentSucceeded, attached: true},
		{name: "0341 sets up", card: "chargeCustomerFail", from: SetupIntentRequiresConfirmation, want: SetupIntentSucceeded, attached: true},
		{name: "a decline", card: "chargeDeclinedInsufficientFunds", from: SetupIntentRequiresConfirmation, want: SetupIntentRequiresPaymentMethod,
			code: "card_declined", commit: true},
		{name: "3DS, completed", card: "authenticationRequired", from: SetupIntentRequiresConfirmation, want: SetupIntentRequiresAction,
			authAfter: ptr(true), afterAuth: SetupIntentSucceeded},
		{name: "3DS, failed", card: "authenticationRequiredOnSetup", from: SetupIntentRequiresPaymentMethod, want: SetupIntentRequiresAction,
			authAfter: ptr(false), afterAuth: SetupIntentRequiresPaymentMethod, authFailed: true},
		{name: "no payment method", from: SetupIntentRequiresPaymentMethod, noPM: true, code: "setup_intent_unexpected_state"},
		{name: "succeeded already", card: "visa", from: SetupIntentSucceeded, code: "setup_intent_unexpected_state"},
		{name: "canceled", card: "visa", from: SetupIntentCanceled, code: "setup_intent_unexpected_state"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			si := newSI(tc.from)
			var pm *PaymentMethod
			if !tc.noPM {
				pm = w.paymentMethod(tc.card, "")
			}
			u := w.unit(payNow)
			got, err := ConfirmSetupIntent(u, si, SetupConfirm{PaymentMethod: pm, ChallengeURL: "http://emulator/_emulator/3ds/" + si.ID})
			if tc.code != "" {
				var e *apierr.Error
				if !errors.As(err, &e) || e.Code != tc.code || e.Commit != tc.commit {
					t.Fatalf("err = %v, want %s (commit %v)", err, tc.code, tc.commit)
				}
				if !tc.commit {
					w.tx.Abort()
					w.tx = nil
					return
				}
				if e.SetupIntent.ID != si.ID || e.PaymentMethod.ID != pm.ID {
					t.Errorf("the error embeds %q and %q", e.SetupIntent.ID, e.PaymentMethod.ID)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			w.commit()
			stored := w.get(TableSetupIntents, si.ID).(*SetupIntent)
			if stored.Status != tc.want {
				t.Fatalf("status %s, want %s", stored.Status, tc.want)
			}
			if tc.commit && (stored.LastError == nil || stored.PaymentMethod != "" || stored.FailedAttempts != 1) {
				t.Errorf("after a decline: %+v", stored)
			}
			if tc.want == SetupIntentRequiresAction && (got.NextAction == nil || got.NextAction.URL == "") {
				t.Errorf("no next action: %+v", got)
			}
			p := w.get(TablePaymentMethods, pm.ID).(*PaymentMethod)
			if (p.Customer == cu.ID) != tc.attached || tc.attached && !p.SetUp {
				t.Errorf("payment method after: customer %q, set up %v", p.Customer, p.SetUp)
			}
			if tc.authAfter == nil {
				if _, err := AuthenticateSetupIntent(w.unit(payNow), stored, true); err == nil {
					t.Error("an intent that waits for nothing was authenticated")
				}
				w.tx.Abort()
				w.tx = nil
				return
			}
			authed, err := AuthenticateSetupIntent(w.unit(payNow), stored, *tc.authAfter)
			if err != nil {
				t.Fatal(err)
			}
			w.commit()
			if authed.Status != tc.afterAuth || (authed.LastError != nil) != tc.authFailed {
				t.Errorf("after authentication: %s, last error %v", authed.Status, authed.LastError)
			}
			if tc.authFailed && authed.LastError.Code != "setup_intent_authentication_failure" {
				t.Errorf("last error %s", authed.LastError.Code)
			}
		})
	}

	t.Run("cancel", func(t *testing.T) {
		for _, from := range []SetupIntentStatus{SetupIntentRequiresPaymentMethod, SetupIntentRequiresConfirmation, SetupIntentRequiresAction, SetupIntentSucceeded, SetupIntentCanceled} {
			si := newSI(from)
			u := w.unit(payNow)
			got, err := CancelSetupIntent(u, si, "abandoned")
			w.commit()
			if open := si.Open(); (err == nil) != open || open && (got.Status != SetupIntentCanceled || got.CancellationReason != "abandoned") {
				t.Errorf("cancel from %s: %v %+v", from, err, got)
			}
		}
	})
}

func ptr[T any](v T) *T { return &v }

// TestAttachedPaymentMethodsBound: a customer has at most
// MaxAttachedPaymentMethods attached; one more is a 400 whichever way it
// would be attached (the attach itself, a SetupIntent that succeeds, a
// PaymentIntent saving its card for future use), and nothing is charged or
// stored; a detach makes room again.
func TestAttachedPaymentMethodsBound(t *testing.T) {
	w := newWorld(t)
	cu := w.customerWithoutCard("", payNow)
	var first *PaymentMethod
	for i := range MaxAttachedPaymentMethods {
		pm := w.paymentMethod("visa", cu.ID)
		if i == 0 {
			first = pm
		}
	}
	for _, tc := range []struct {
		name   string
		attach func(u *Unit, pm *PaymentMethod) error
	}{
		{name: "attach", attach: func(u *Unit, pm *PaymentMethod) error {
			_, err := Attach(u, pm, cu.ID)
			return err
		}},
		{name: "a SetupIntent that succeeds", attach: func(u *Unit, pm *PaymentMethod) error {
			si := &SetupIntent{Meta: w.meta("seti", payNow), Customer: cu.ID, Status: SetupIntentRequiresConfirmation, Usage: SetupUsageOffSession,
				Metadata: map[string]string{}}
			_, err := ConfirmSetupIntent(u, si, SetupConfirm{PaymentMethod: pm})
			return err
		}},
		{name: "a PaymentIntent saving its card", attach: func(u *Unit, pm *PaymentMethod) error {
			pi := &PaymentIntent{Meta: w.meta("pi", payNow), Amount: 2000, Currency: "usd", Customer: cu.ID, Status: PaymentIntentRequiresPaymentMethod,
				CaptureMethod: CaptureAutomatic, SetupFutureUsage: SetupUsageOffSession, Metadata: map[string]string{}}
			_, err := ConfirmPaymentIntent(u, pi, PaymentConfirm{PaymentMethod: pm})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pm := w.paymentMethod("visa", "")
			before := w.stored()
			u := w.unit(payNow)
			err := tc.attach(u, pm)
			w.abort()
			var e *apierr.Error
			if !errors.As(err, &e) || e.Status != 400 || e.Commit ||
				e.Message != "Customer "+cu.ID+" already has the maximum number of payment methods attached." {
				t.Errorf("err = %v, want the 400 of a full customer", err)
			}
			if after := w.stored(); len(after[TableCharges]) != len(before[TableCharges]) || after[TablePaymentMethods][pm.ID].(*PaymentMethod).Customer != "" {
				t.Errorf("refused, yet %d charges stored (%d before), payment method %+v", len(after[TableCharges]), len(before[TableCharges]),
					after[TablePaymentMethods][pm.ID])
			}
		})
	}
	t.Run("a detach makes room", func(t *testing.T) {
		u := w.unit(payNow)
		if _, err := Detach(u, first); err != nil {
			t.Fatal(err)
		}
		if _, err := Attach(u, w.paymentMethodIn(u, "visa", ""), cu.ID); err != nil {
			t.Fatalf("after a detach: %v", err)
		}
		w.commit()
	})
}

// TestRefundsPerChargeBound: a charge takes MaxRefundsPerCharge refunds (a
// one-cent refund loop on a large charge stops there); one more is a 400
// that says so and stores nothing, however much is left to refund.
func TestRefundsPerChargeBound(t *testing.T) {
	w := newWorld(t)
	cu := w.customerWithoutCard("", payNow)
	ch := &Charge{Meta: w.meta("ch", payNow), Amount: 1_000_000, AmountCaptured: 1_000_000, Currency: "usd", Customer: cu.ID, Card: "visa",
		Status: ChargeSucceeded, Captured: true, Metadata: map[string]string{}}
	w.put(TableCharges, ch)
	u := w.unit(payNow)
	for range MaxRefundsPerCharge {
		if _, err := CreateRefund(u, RefundCreate{Charge: Some(ch.ID), Amount: Some[int64](1)}); err != nil {
			t.Fatal(err)
		}
	}
	w.commit()
	before := w.stored()
	u = w.unit(payNow)
	_, err := CreateRefund(u, RefundCreate{Charge: Some(ch.ID), Amount: Some[int64](1)})
	w.abort()
	var e *apierr.Error
	if !errors.As(err, &e) || e.Status != 400 || e.Type != apierr.TypeInvalidRequest ||
		e.Message != "Charge "+ch.ID+" already has the maximum of 1000 refunds; refund the rest in one refund (omit amount for all that is left)." {
		t.Fatalf("err = %v, want the 400 of a charge with every refund it can have", err)
	}
	after := w.stored()
	if len(after[TableRefunds]) != MaxRefundsPerCharge || after[TableCharges][ch.ID].(*Charge).AmountRefunded != MaxRefundsPerCharge ||
		len(before[TableRefunds]) != MaxRefundsPerCharge {
		t.Errorf("%d refunds stored, %d refunded", len(after[TableRefunds]), after[TableCharges][ch.ID].(*Charge).AmountRefunded)
	}
}
