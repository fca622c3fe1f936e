package billing

import (
	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/billing/cards"
	"github.com/stripe-emulator/stripe-emulator/internal/metadata"
)

// The invoice endpoints' rules: a one-off invoice created for a customer,
// the settings of a draft, and an invoice's way through its statuses
// (finalize, pay, send, void, mark uncollectible, delete a draft), each at the
// time of the customer's clock.

// CreateInvoice creates a draft invoice for a customer (a one-off invoice),
// with their pending invoice items when the request includes them.
func CreateInvoice(u *Unit, in InvoiceCreate) (*Invoice, error) {
	if !in.Customer.Set {
		return nil, apierr.ParameterMissing("customer")
	}
	cu, err := GetCustomer(u.tx, in.Customer.V, "customer", false)
	if err != nil {
		return nil, err
	}
	now := u.CustomerNow(cu.ID)
	inv := &Invoice{Meta: u.ids.NewMeta("in", now), Customer: cu.ID, Status: InvoiceDraft, BillingReason: "manual",
		CollectionMethod: "charge_automatically", Currency: cu.Currency, PeriodStart: now, PeriodEnd: now,
		StartingBalance: cu.Balance, TestClock: cu.TestClock, Metadata: map[string]string{}}
	if in.Currency.Set {
		inv.Currency = in.Currency.V
	}
	if in.Subscription.Set {
		sub, err := customerSubscription(u, in.Subscription.V, cu)
		if err != nil {
			return nil, err
		}
		inv.Subscription, inv.Currency, inv.SubscriptionMetadata = sub.ID, sub.Currency, sub.Metadata
	}
	if err := applyInvoiceSettings(inv, in.Settings, now); err != nil {
		return nil, err
	}
	snapshotCustomer(inv, cu)
	if in.IncludePending {
		pending, err := PendingItems(u.tx, cu.ID)
		if err != nil {
			return nil, err
		}
		if inv.Subscription != "" {
			pending = keepItemsFor(pending, inv.Subscription)
		}
		if err := takeItems(u, inv, pending); err != nil {
			return nil, err
		}
		inv.Lines = storedItemLines(pending)
		if inv.Currency == "" && len(pending) > 0 {
			inv.Currency = pending[0].Currency
		}
	}
	if inv.Currency == "" {
		inv.Currency = "usd"
	}
	return inv, u.tx.Put(TableInvoices, inv)
}

// customerSubscription is the subscription of the parameter subscription,
// which must be the customer's.
func customerSubscription(u *Unit, id string, cu *Customer) (*Subscription, error) {
	sub, err := GetSubscription(u.tx, id, "subscription")
	if err != nil {
		return nil, err
	}
	if sub.Customer != cu.ID {
		return nil, apierr.Invalid("subscription", "The subscription %s belongs to another customer.", sub.ID)
	}
	return sub, nil
}

// applyInvoiceSettings sets what create and update (of a draft) share.
func applyInvoiceSettings(inv *Invoice, in InvoiceSettings, now int64) error {
	if in.CollectionMethod.Set {
		inv.CollectionMethod = in.CollectionMethod.V
	}
	if in.AutoAdvance.Set {
		inv.AutoAdvance = in.AutoAdvance.V
		inv.FinalizesAt = 0
		if in.AutoAdvance.V {
			inv.FinalizesAt = max(now, inv.Created) + finalizationGrace
		}
	}
	days, due := in.DaysUntilDue, in.DueDate
	switch {
	case days.Set && due.Set:
		return apierr.Exclusive("days_until_due", "due_date")
	case (days.Set || due.Set) && inv.CollectionMethod != "send_invoice":
		return apierr.Invalid("days_until_due", "days_until_due and due_date can only be set when collection_method is send_invoice.")
	case days.Set:
		if days.V < 0 || days.V > 730 {
			return apierr.Invalid("days_until_due", "Invalid days_until_due: must be between 0 and 730.")
		}
		inv.DueDate = inv.Created + days.V*86400
	case due.Set:
		if due.V <= now {
			return apierr.Invalid("due_date", "Invalid timestamp: due_date must be in the future.")
		}
		inv.DueDate = due.V
	case inv.CollectionMethod == "send_invoice" && inv.DueDate == 0:
		return apierr.InvalidRequest("parameter_missing", "days_until_due", "Missing required param: days_until_due. An invoice sent to the customer (send_invoice) needs days_until_due or due_date.")
	}
	if inv.CollectionMethod == "charge_automatically" {
		inv.DueDate = 0
	}
	if in.Description.Set {
		inv.Description = in.Description.V
	}
	md, err := metadata.Apply(inv.Metadata, in.Metadata)
	if err != nil {
		return err
	}
	inv.Metadata = md
	return nil
}

// UpdateInvoice changes an invoice's metadata and description; a draft's
// collection too (auto_advance an open invoice's as well).
func UpdateInvoice(u *Unit, id string, in InvoiceSettings) (*Invoice, error) {
	cur, err := GetInvoice(u.tx, id, "id")
	if err != nil {
		return nil, err
	}
	inv := cur.Clone()
	if cur.Status != InvoiceDraft {
		for _, k := range []struct {
			name  string
			given bool
		}{{"auto_advance", in.AutoAdvance.Given()}, {"collection_method", in.CollectionMethod.Given()},
			{"days_until_due", in.DaysUntilDue.Given()}, {"due_date", in.DueDate.Given()}} {
			if k.given && !(k.name == "auto_advance" && cur.Status == InvoiceOpen) {
				return nil, apierr.Invalid(k.name, "%s can only be changed on a draft invoice; %s is %s.", k.name, cur.ID, cur.Status)
			}
		}
	}
	if err := applyInvoiceSettings(inv, in, u.CustomerNow(inv.Customer)); err != nil {
		return nil, err
	}
	return inv, u.tx.Put(TableInvoices, inv)
}

// DeleteInvoice deletes a draft; its invoice items become pending again.
// It returns the invoice deleted.
func DeleteInvoice(u *Unit, id string) (*Invoice, error) {
	inv, err := GetInvoice(u.tx, id, "id")
	if err != nil {
		return nil, err
	}
	if inv.Status != InvoiceDraft {
		return nil, apierr.InvalidRequest("", "", "You can only delete draft invoices; %s is %s. Void it instead.", inv.ID, inv.Status)
	}
	if inv.Subscription != "" && inv.BillingReason != "manual" {
		return nil, apierr.InvalidRequest("", "", "You can't delete invoices created by subscriptions.")
	}
	items, err := u.tx.Find(TableInvoiceItems, "invoice", inv.ID)
	if err != nil {
		return nil, err
	}
	for _, r := range items {
		n := r.(*InvoiceItem).Clone()
		n.Invoice = ""
		if err := u.tx.Put(TableInvoiceItems, n); err != nil {
			return nil, err
		}
	}
	return inv, u.tx.Remove(TableInvoices, inv)
}

// FinalizeDraft finalizes a draft now (POST /v1/invoices/{invoice}/finalize).
func FinalizeDraft(u *Unit, id string, in FinalizeRequest) (*Invoice, error) {
	cur, err := GetInvoice(u.tx, id, "id")
	if err != nil {
		return nil, err
	}
	if cur.Status != InvoiceDraft {
		return nil, apierr.State("invoice_not_editable", "This invoice is already finalized, you can't re-finalize a non-draft invoice.")
	}
	inv := cur
	if in.AutoAdvance.Set {
		inv = cur.Clone()
		inv.AutoAdvance = in.AutoAdvance.V
	}
	return finalizeInvoice(u, inv, u.CustomerNow(inv.Customer))
}

// Pay pays an invoice (POST /v1/invoices/{id}/pay, ref §3e): a draft is
// finalized first (and answered as it is when that paid it: nothing due, or
// below the minimum charge); paid_out_of_band marks it paid without a
// charge (amount_paid 0 [I], its PaymentIntent left as it was); otherwise
// its PaymentIntent is confirmed off-session with the payment method given
// or its defaults' (none: Stripe's 400). A decline is the 402 card_error,
// and a card that asks for 3D Secure the 402
// invoice_payment_intent_requires_action, both committed (the attempt
// stands, design-16 D4). An uncollectible invoice can be paid too.
func Pay(u *Unit, id string, in PayRequest) (*Invoice, error) {
	cur, err := GetInvoice(u.tx, id, "id")
	if err != nil {
		return nil, err
	}
	switch cur.Status {
	case InvoicePaid:
		return nil, apierr.State("invoice_already_paid", "Invoice is already paid")
	case InvoiceVoid:
		return nil, apierr.State("invoice_not_open", "Voided invoices cannot be paid.")
	}
	now := u.CustomerNow(cur.Customer)
	if in.PaidOutOfBand {
		inv := cur.Clone()
		if inv.Status == InvoiceDraft {
			if inv, err = finalize(u, cur, now, collection{noAttempt: true}); err != nil || inv.Paid {
				return inv, err
			}
			inv = inv.Clone()
		}
		inv.PaidOutOfBand, inv.ActionRequired, inv.NextPaymentAttempt = true, false, 0
		inv.markPaid(now, 0)
		if err := u.tx.Put(TableInvoices, inv); err != nil {
			return nil, err
		}
		if err := setDelinquent(u, inv.Customer, false); err != nil {
			return nil, err
		}
		return inv, afterPaid(u, inv)
	}
	pm, err := payingMethod(u, cur, in)
	if err != nil {
		return nil, err
	}
	inv := cur
	if inv.Status == InvoiceDraft {
		if inv, err = finalize(u, cur, now, collection{noAttempt: true}); err != nil || inv.Paid {
			return inv, err
		}
	}
	pi, err := payableIntent(u, inv, now)
	if err != nil {
		return nil, err
	}
	if inv.PaymentIntent != pi.ID {
		inv = inv.Clone()
		inv.PaymentIntent = pi.ID
	}
	if pm == nil {
		return nil, ErrNoPaymentMethod()
	}
	moment := cards.OffSession
	if in.OnSession {
		moment = cards.OnSession
	}
	r := pm.TestCard().Evaluate(moment, pm.SetUp)
	n, ch, err := attempt(u, pi.Clone(), pm, r, "", "")
	if err != nil {
		return nil, err
	}
	if inv, err = settleInvoice(u, inv, n, r, false); err != nil {
		return nil, err
	}
	switch r.Status {
	case cards.RequiresAction:
		return nil, apierr.InvoiceRequiresAction().WithPaymentIntent(n.ID).WithCommit()
	case cards.Declined:
		e := r.Decline.APIError().WithPaymentIntent(n.ID).WithPaymentMethod(pm.ID).WithCommit()
		if ch != nil {
			e.WithCharge(ch.ID)
		}
		return nil, e
	}
	return inv, nil
}

// payingMethod is the payment method a payment of inv charges: the one
// given (attached to the customer first when the caller cloned it; else it
// must be theirs), or the one its defaults name (nil: none).
func payingMethod(u *Unit, inv *Invoice, in PayRequest) (*PaymentMethod, error) {
	pm := in.PaymentMethod
	switch {
	case pm == nil:
		return PaymentMethodFor(u, inv.Customer, inv.Subscription, "")
	case in.Attach && pm.Customer == "":
		return Attach(u, pm, inv.Customer)
	case pm.Customer != inv.Customer:
		return nil, NotAttachedTo(pm.ID, "payment_method")
	}
	return pm, nil
}

// payableIntent is the invoice's PaymentIntent, ready to confirm: made now
// if it has none (a send_invoice invoice's).
func payableIntent(u *Unit, inv *Invoice, at int64) (*PaymentIntent, error) {
	if inv.PaymentIntent == "" {
		pi := invoiceIntent(u, inv, at)
		if err := u.tx.Put(TablePaymentIntents, pi); err != nil {
			return nil, err
		}
		return pi, newInvoicePayment(u, inv, pi, at)
	}
	pi, err := Get[*PaymentIntent](u.tx, TablePaymentIntents, "payment_intent", inv.PaymentIntent, "payment_intent")
	if err != nil {
		return nil, err
	}
	if !pi.Confirmable() {
		return nil, apierr.State("invoice_payment_intent_unexpected_state", "The PaymentIntent %s of this invoice cannot be confirmed: it has a status of %s.", pi.ID, pi.Status)
	}
	return pi, nil
}

// Send sends an invoice whose collection method is send_invoice to its
// customer: the emulator sends no email (nor does Stripe's test mode,
// "despite sending an invoice.sent event"), and the sink hears invoice.sent.
// A draft is finalized first ("Stripe automatically finalizes drafts before
// sending"); an invoice already paid can be sent ("there will be no reference
// to the payment in the email"); a void one cannot.
func Send(u *Unit, id string) (*Invoice, error) {
	cur, err := GetInvoice(u.tx, id, "id")
	if err != nil {
		return nil, err
	}
	switch {
	case cur.CollectionMethod != "send_invoice":
		return nil, apierr.State("", "You can only manually send an invoice if its collection method is 'send_invoice'; %s is charge_automatically.", cur.ID)
	case cur.Status == InvoiceVoid:
		return nil, apierr.State("invoice_not_open", "You can't send a voided invoice; %s is void.", cur.ID)
	}
	now := u.CustomerNow(cur.Customer)
	inv := cur
	if cur.Status == InvoiceDraft {
		if inv, err = finalizeInvoice(u, cur, now); err != nil {
			return nil, err
		}
	}
	u.sink.About("invoice.sent", now, inv, u.step)
	return inv, nil
}

// Void voids an open or uncollectible invoice; the customer balance it used
// is given back, its PaymentIntent canceled, and the pending update that
// waited for it discarded.
func Void(u *Unit, id string) (*Invoice, error) {
	cur, err := GetInvoice(u.tx, id, "id")
	if err != nil {
		return nil, err
	}
	if cur.Status != InvoiceOpen && cur.Status != InvoiceUncollectible {
		return nil, apierr.State("invoice_not_open", "You can only void an open or uncollectible invoice; %s is %s.", cur.ID, cur.Status)
	}
	inv := cur.Clone()
	inv.Status, inv.VoidedAt = InvoiceVoid, u.CustomerNow(cur.Customer)
	if inv.EndingBalance != nil {
		// The balance it took goes back: unapplied_from_invoice, the
		// negation of what finalization wrote [I] sign (design-16 §3.8).
		if used := inv.StartingBalance - *inv.EndingBalance; used != 0 {
			cu, err := GetCustomer(u.tx, inv.Customer, "customer", true)
			if err == nil && !cu.Deleted {
				ch := BalanceChange{Amount: used, Currency: inv.Currency, SetCurrency: true, Type: BalanceUnappliedFromInvoice, Invoice: inv.ID}
				if _, _, err := ChangeBalance(u, cu, ch, "amount", "currency"); err != nil {
					return nil, err
				}
			}
		}
	}
	if err := u.tx.Put(TableInvoices, inv); err != nil {
		return nil, err
	}
	if _, err := dropPendingUpdate(u, inv); err != nil {
		return nil, err
	}
	return inv, cancelInvoiceIntent(u, inv)
}

// cancelInvoiceIntent cancels the PaymentIntent of a voided invoice
// (cancellation_reason void_invoice [I], design-16 §6.1), unless it
// already succeeded or was canceled.
func cancelInvoiceIntent(u *Unit, inv *Invoice) error {
	if inv.PaymentIntent == "" {
		return nil
	}
	pi, err := Get[*PaymentIntent](u.tx, TablePaymentIntents, "payment_intent", inv.PaymentIntent, "payment_intent")
	if err != nil || !pi.Confirmable() {
		return err
	}
	if _, err = cancelIntent(u, pi, "void_invoice"); err != nil {
		return err
	}
	return settleInvoicePayment(u, inv.ID, InvoicePaymentCanceled, 0, u.EventTime(inv))
}

// MarkUncollectible marks an open invoice uncollectible.
func MarkUncollectible(u *Unit, id string) (*Invoice, error) {
	cur, err := GetInvoice(u.tx, id, "id")
	if err != nil {
		return nil, err
	}
	if cur.Status != InvoiceOpen {
		return nil, apierr.State("invoice_not_open", "You can only mark an open invoice uncollectible; %s is %s.", cur.ID, cur.Status)
	}
	inv := cur.Clone()
	inv.Status, inv.UncollectibleAt = InvoiceUncollectible, u.CustomerNow(cur.Customer)
	if err := u.tx.Put(TableInvoices, inv); err != nil {
		return nil, err
	}
	return inv, setDelinquent(u, inv.Customer, false)
}

// UpdateLine changes one line of a draft invoice: "Updating an invoice's line
// item is only possible before the invoice is finalized." An invoice-item
// line changes its invoice item, and the line shows the item as it is then
// ("updates on this endpoint will propagate to the invoice item"): amount,
// or price or quantity, description, discountable, period, metadata (merged
// into the item's). A subscription line's amount comes from its
// subscription: it takes description, discountable and metadata (set as
// given, not merged: "For type=subscription line items, the incoming metadata
// specified on the request is directly used to set this value"); those
// survive the re-rating of usage at finalization. It returns the invoice as
// stored and its line.
func UpdateLine(u *Unit, invoice, line string, in InvoiceItemFields) (*Invoice, *Line, error) {
	cur, err := GetInvoice(u.tx, invoice, "id")
	if err != nil {
		return nil, nil, err
	}
	i := 0
	for i < len(cur.Lines) && cur.Lines[i].ID != line {
		i++
	}
	if i == len(cur.Lines) {
		return nil, nil, apierr.ResourceMissing("line item", "id", line) // a path ID, as the invoice's is
	}
	if cur.Status != InvoiceDraft {
		return nil, nil, apierr.State("invoice_not_editable", "You can only update the lines of a draft invoice; %s is %s.", cur.ID, cur.Status)
	}
	inv := cur.Clone()
	l := &inv.Lines[i]
	if in.Discountable.Set && in.Discountable.V && l.Proration {
		return nil, nil, apierr.Invalid("discountable", "discountable cannot be set to true for prorations.")
	}
	if l.InvoiceItem != "" {
		err = updateItemLine(u, l, in)
	} else {
		err = updateSubscriptionLine(l, in)
	}
	if err != nil {
		return nil, nil, err
	}
	return inv, l, u.tx.Put(TableInvoices, inv)
}

// updateItemLine changes the invoice item behind a line, and the line with it.
func updateItemLine(u *Unit, l *Line, in InvoiceItemFields) error {
	cur, err := GetInvoiceItem(u.tx, l.InvoiceItem, "id")
	if err != nil {
		return err
	}
	ii := cur.Clone()
	if err := applyAmount(u, ii, in, false); err != nil {
		return err
	}
	if err := u.tx.Put(TableInvoiceItems, ii); err != nil {
		return err
	}
	id := l.ID
	*l = itemLines([]*InvoiceItem{ii})[0]
	l.ID = id
	return nil
}

// updateSubscriptionLine changes what a subscription line lets change.
func updateSubscriptionLine(l *Line, in InvoiceItemFields) error {
	for _, k := range []struct {
		name  string
		given bool
	}{{"amount", in.Amount.Given()}, {"price", in.Price.Given()}, {"quantity", in.Quantity.Given()}} {
		if k.given {
			return apierr.Invalid(k.name, "You can only change the %s of an invoice item line: %s is a subscription line, whose amount comes from its subscription's price and quantity.", k.name, l.ID)
		}
	}
	if in.Period.Given() {
		return apierr.InvalidRequest("", "period", "stripe-emulator does not support changing the period of a subscription line yet (only of an invoice item line): the period is the usage it bills.")
	}
	if in.Description.Set {
		l.Description, l.CustomDescription = in.Description.V, true
	}
	if in.Discountable.Set {
		l.Discountable = in.Discountable.V
	}
	if in.Metadata.Given {
		md, err := metadata.Apply(map[string]string{}, in.Metadata)
		if err != nil {
			return err
		}
		l.Metadata = md
	}
	return nil
}
