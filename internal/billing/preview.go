package billing

import (
	"net/url"
	"strconv"

	"github.com/shopspring/decimal"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/billing/calc"
	"github.com/stripe-emulator/stripe-emulator/internal/metadata"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// Previews: the invoice a customer would get next (GET /v1/invoices/upcoming
// and its lines, POST /v1/invoices/create_preview, and the renewal that
// invoice.upcoming announces). A previewed change to a subscription runs
// through the same code as the update, in the unit's transaction, which the
// caller never commits: a preview writes what the change would (an inline
// price, the changed items, prorations) and the caller aborts it. The
// invoice a preview returns is not stored (Preview is true).

// PreviewRequest is a preview of a customer's next invoice (GET
// /v1/invoices/upcoming, its lines, POST /v1/invoices/create_preview): of a
// subscription, with a change to it or without, or of a new one.
type PreviewRequest struct {
	Customer, Subscription Opt[string]
	Change                 PreviewChange
	Recurring              bool // preview_mode=recurring: the recurring charges only
	InvoiceItems           []InvoiceItemSpec
	Currency               Opt[string]
	// Target: the request names what it previews beside the customer (a
	// subscription, a schedule, subscription_details[items],
	// schedule_details[phases] or invoice_items).
	Target bool
	// NeedsTarget: a preview without a Target is refused (create_preview
	// from 2025-03-31.basil).
	NeedsTarget bool
}

// PreviewChange is a previewed change to a subscription: subscription_details,
// or GET upcoming's legacy flat subscription_* parameters.
type PreviewChange struct {
	Items             []ItemChange
	ItemsGiven        bool
	ProrationBehavior ProrationBehavior
	ProrationDate     Opt[int64]
	CancelAtPeriodEnd Opt[bool]
	CancelNow         bool
	CancelAt          Opt[int64] // Clear: cancel_at=
	TrialEnd          Opt[Moment]
	AnchorNow         bool // billing_cycle_anchor=now
	// AnchorTimestamp is the path of a billing_cycle_anchor given as a
	// timestamp, which previews refuse ("": none).
	AnchorTimestamp string
	// Mode is a new subscription's billing_mode (subscription_details).
	Mode ModeRequest
	// Pause previews pausing the subscription (subscription_details[pause],
	// 2026-09-30.endive): nil, none.
	Pause *PauseSettings
}

// InvoiceItemSpec is an element of a preview's invoice_items: an invoice
// item that would be added.
type InvoiceItemSpec struct {
	Param    string // "invoice_items[0]"
	Currency Opt[string]
	Fields   InvoiceItemFields
}

// empty reports whether a preview asks for no change to the subscription.
func (ch PreviewChange) empty() bool {
	return !ch.ItemsGiven && !ch.CancelAtPeriodEnd.Set && !ch.CancelAt.Given() && !ch.TrialEnd.Given() && !ch.AnchorNow
}

// Preview is the invoice the request previews: the next invoice of the
// subscription given (or the customer's that renews first), with a change
// applied if one is given, or a new subscription's first; the customer's
// pending invoice items and the request's invoice_items with it unless only
// the recurring charges are asked for. It writes to u's transaction what
// the change it previews would; the caller aborts it. The invoice has an
// upcoming_in_ id and its lines' URL.
func Preview(u *Unit, in PreviewRequest) (*Invoice, error) {
	if in.NeedsTarget && !in.Target {
		return nil, apierr.InvalidRequest("", "", "You must provide at least one of: `subscription`, `schedule`, `subscription_details.items`, `schedule_details.phases`, `invoice_items`.")
	}
	customerID := in.Customer.V
	if !in.Customer.Set && !in.Subscription.Set {
		return nil, apierr.ParameterMissing("customer")
	}
	var sub *Subscription
	if in.Subscription.Set {
		s, err := GetSubscription(u.tx, in.Subscription.V, "subscription")
		if err != nil {
			return nil, err
		}
		if in.Customer.Set && s.Customer != customerID {
			return nil, apierr.Invalid("subscription", "The subscription %s does not belong to the customer %s.", s.ID, customerID)
		}
		customerID, sub = s.Customer, s
	}
	cu, err := GetCustomer(u.tx, customerID, "customer", false)
	if err != nil {
		return nil, err
	}
	change := in.Change
	if param := change.AnchorTimestamp; param != "" {
		return nil, apierr.InvalidRequest("", param, "stripe-emulator does not support a timestamp for %s in previews yet; use now or unchanged, or create the subscription with its billing_cycle_anchor and preview its upcoming invoice.", param)
	}
	mode, err := change.Mode.resolve()
	if err != nil {
		return nil, err
	}
	if sub == nil {
		if sub, err = nextSubscription(u, cu.ID); err != nil {
			return nil, err
		}
	}
	now := u.CustomerNow(cu.ID)
	inv := &Invoice{Meta: store.Meta{ID: "upcoming_in_" + store.RandomString(24), Created: now}, Preview: true,
		Customer: cu.ID, Status: InvoiceDraft, BillingReason: "upcoming", CollectionMethod: "charge_automatically",
		Currency: cu.Currency, StartingBalance: cu.Balance, PeriodStart: now, PeriodEnd: now, TestClock: cu.TestClock,
		Metadata: map[string]string{}}
	snapshotCustomer(inv, cu)
	// The lines' URL: its query as url.Values.Encode writes it (keys sorted),
	// without building one per preview.
	linesQuery := "customer=" + url.QueryEscape(cu.ID)
	switch {
	case change.Pause != nil:
		if err := checkPausePreview(in); err != nil {
			return nil, err
		}
		if err := previewPause(u, inv, sub, *change.Pause); err != nil {
			return nil, err
		}
		linesQuery += "&subscription=" + url.QueryEscape(sub.ID)
	case sub != nil && sub.Live():
		if err := previewSubscription(u, inv, sub, change, now, in.Recurring); err != nil {
			return nil, err
		}
		linesQuery += "&subscription=" + url.QueryEscape(sub.ID)
	case change.ItemsGiven:
		if err := previewNewSubscription(u, inv, cu, change, mode, now); err != nil {
			return nil, err
		}
	}
	if !in.Recurring {
		pending, err := PendingItems(u.tx, cu.ID)
		if err != nil {
			return nil, err
		}
		if sub != nil {
			pending = keepItemsFor(pending, sub.ID)
		}
		extra, err := previewInvoiceItems(u, inv, in.InvoiceItems)
		if err != nil {
			return nil, err
		}
		inv.Lines = append(append(append([]Line{}, itemLines(pending)...), extra...), inv.Lines...)
	}
	if len(inv.Lines) == 0 && (sub == nil || !sub.Live()) {
		return nil, &apierr.Error{Status: 404, Type: apierr.TypeInvalidRequest, Code: "invoice_upcoming_none",
			Message: "No upcoming invoices for customer: " + cu.ID}
	}
	if in.Currency.Set && inv.Currency != "" && in.Currency.V != inv.Currency {
		return nil, apierr.Invalid("currency", "The currency %s does not match the currency of the customer's upcoming invoice (%s).", in.Currency.V, inv.Currency)
	}
	if inv.CollectionMethod == "charge_automatically" {
		inv.NextPaymentAttempt = inv.Created + 3600
	}
	inv.LinesURL = "/v1/invoices/upcoming/lines?" + linesQuery
	return inv, nil
}

// checkPausePreview refuses a preview of a pause without the subscription it
// pauses, or with another change to it beside [I]: a pause previews the
// invoice the pause endpoint would make, which takes nothing else.
func checkPausePreview(in PreviewRequest) error {
	if !in.Subscription.Set {
		return apierr.InvalidRequest("parameter_missing", "subscription", "Missing required param: subscription. subscription_details[pause] previews pausing a subscription: name it.")
	}
	if !in.Change.empty() || in.Change.CancelNow {
		return apierr.InvalidRequest("", "subscription_details[pause]", "subscription_details[pause] cannot be combined with other changes to the subscription (items, cancel_at, cancel_at_period_end, cancel_now, trial_end, billing_cycle_anchor): preview the pause on its own.")
	}
	return nil
}

// upcomingRenewal is the preview of a subscription's renewal that
// invoice.upcoming announces at: its next invoice, unchanged, with the
// customer's pending items (no id: an upcoming invoice has none). It writes
// nothing.
func upcomingRenewal(u *Unit, sub *Subscription, at int64) (*Invoice, error) {
	cu, err := GetCustomer(u.tx, sub.Customer, "customer", true)
	if err != nil {
		return nil, err
	}
	inv := &Invoice{Meta: store.Meta{Created: at}, Preview: true, Customer: cu.ID, Status: InvoiceDraft, BillingReason: "upcoming",
		Currency: sub.Currency, StartingBalance: cu.Balance, TestClock: sub.TestClock, Metadata: map[string]string{},
		LinesURL: "/v1/invoices/upcoming/lines?customer=" + cu.ID + "&subscription=" + sub.ID}
	snapshotCustomer(inv, cu)
	if err := previewSubscription(u, inv, sub, PreviewChange{ProrationBehavior: ProrationNone}, at, false); err != nil {
		return nil, err
	}
	pending, err := PendingItems(u.tx, cu.ID)
	if err != nil {
		return nil, err
	}
	inv.Lines = append(itemLines(keepItemsFor(pending, sub.ID)), inv.Lines...)
	return inv, nil
}

// nextSubscription is the customer's live subscription that renews first.
func nextSubscription(u *Unit, customer string) (*Subscription, error) {
	recs, err := u.tx.Find(TableSubscriptions, "customer", customer)
	if err != nil {
		return nil, err
	}
	var best *Subscription
	for _, r := range recs {
		s := r.(*Subscription)
		if s.Live() && s.Status != SubscriptionPaused && (best == nil || s.PeriodEnd < best.PeriodEnd || s.PeriodEnd == best.PeriodEnd && s.Seq < best.Seq) {
			best = s
		}
	}
	return best, nil
}

// previewSubscription fills a preview of an existing subscription's next
// invoice, with a change applied if one is given. A change runs through the
// same code as the real update, inside the preview's transaction (never
// committed): if it bills at once, the preview is that invoice; otherwise it is
// the changed subscription's next renewal, with the prorations it left pending.
func previewSubscription(u *Unit, inv *Invoice, sub *Subscription, change PreviewChange, now int64, recurringOnly bool) error {
	inv.Subscription, inv.Currency, inv.CollectionMethod = sub.ID, sub.Currency, sub.CollectionMethod
	inv.SubscriptionMetadata = sub.Metadata
	if change.CancelNow {
		// The final invoice of a subscription canceled now: usage so far.
		items, err := ItemsOf(u.tx, sub.ID)
		if err != nil {
			return err
		}
		inv.BillingReason, inv.PeriodStart, inv.PeriodEnd, inv.Created = "subscription_cycle", sub.PeriodStart, now, now
		lines, err := periodLines(u, sub, items, sub.PeriodStart, now, false)
		if err != nil {
			return err
		}
		inv.Lines = lines
		return nil
	}
	next := sub
	if !change.empty() {
		behavior := change.ProrationBehavior
		if recurringOnly {
			behavior = ProrationNone
		}
		upd := subUpdate{items: change.Items, behavior: behavior, prorationDate: change.ProrationDate, trialEnd: change.TrialEnd,
			anchorNow: change.AnchorNow, settings: change.settings}
		changed, _, billed, err := changeSubscription(u, sub, upd, now)
		if err != nil {
			return err
		}
		if billed != nil {
			inv.previewBilled(billed)
			return nil
		}
		next = changed
	}
	items, err := ItemsOf(u.tx, next.ID)
	if err != nil {
		return err
	}
	ends := next.EndsAtPeriodEnd()
	end := next.PeriodEnd
	if next.CancelAt != 0 && next.CancelAt < end {
		end = next.CancelAt
	}
	lines, err := periodLines(u, next, items, next.PeriodStart, end, !ends)
	if err != nil {
		return err
	}
	inv.PeriodStart, inv.PeriodEnd, inv.Created = next.PeriodStart, end, end
	inv.Lines = lines
	if next.CollectionMethod == "send_invoice" && next.DaysUntilDue != nil {
		inv.DueDate = inv.Created + *next.DaysUntilDue*86400
	}
	return nil
}

// previewBilled makes a preview the invoice a previewed change billed at once.
func (inv *Invoice) previewBilled(billed *Invoice) {
	inv.BillingReason, inv.PeriodStart, inv.PeriodEnd, inv.Created = billed.BillingReason, billed.PeriodStart, billed.PeriodEnd, billed.Created
	inv.Lines, inv.DueDate = billed.Lines, billed.DueDate
}

// settings applies the previewed change's cancellation to the changed copy:
// as it is given, unchecked.
func (ch PreviewChange) settings(n *Subscription) error {
	if ch.CancelAtPeriodEnd.Set {
		n.CancelAtPeriodEnd = ch.CancelAtPeriodEnd.V
	}
	if ch.CancelAt.Clear {
		n.CancelAt = 0
	}
	if ch.CancelAt.Set {
		n.CancelAt = ch.CancelAt.V
	}
	return nil
}

// previewNewSubscription previews the first invoice of a subscription that does
// not exist yet (customer + subscription items, no subscription).
func previewNewSubscription(u *Unit, inv *Invoice, cu *Customer, change PreviewChange, mode Mode, now int64) error {
	sub := &Subscription{Meta: store.Meta{ID: "", Created: now}, Customer: cu.ID, Status: SubscriptionActive, CollectionMethod: "charge_automatically", StartDate: now}
	sub.setMode(mode, false, now)
	items, err := newItems(u, sub, change.Items, nil, now)
	if err != nil {
		return err
	}
	// The first invoice of the subscription the change would create: with a
	// trial_end ahead, the trial's free lines to it ("now": no trial); with a
	// cancel_at, its first period as creation truncates it.
	trialEnd := int64(0)
	if change.TrialEnd.Set && !change.TrialEnd.V.Now {
		trialEnd = change.TrialEnd.V.At
		if err := checkTrialEnd("subscription_details[trial_end]", trialEnd, now); err != nil {
			return err
		}
	}
	if c := change.CancelAt; c.Set {
		if c.V <= now {
			return apierr.Invalid("subscription_details[cancel_at]", "Invalid timestamp: cancel_at must be in the future.")
		}
		sub.CancelAt = c.V
	}
	prorate := change.ProrationBehavior != ProrationNone
	firstPeriod(sub, now, now, trialEnd, 0, prorate)
	sub.capTrialAtCancel()
	if truncateAtCancel(sub, now) {
		prorate = sub.rules().ProratesTruncatedPeriod(prorate)
	}
	lines, err := firstLines(u, sub, items, prorate)
	if err != nil {
		return err
	}
	inv.BillingReason, inv.Currency, inv.Lines = "subscription_create", sub.Currency, lines
	return nil
}

// previewInvoiceItems turns a preview's invoice_items into lines.
func previewInvoiceItems(u *Unit, inv *Invoice, items []InvoiceItemSpec) ([]Line, error) {
	var out []Line
	for i, spec := range items {
		f := spec.Fields
		l := Line{ID: lineID(inv.ID, "invoice_items", strconv.Itoa(i)), Type: "invoiceitem", Quantity: 1, Discountable: true,
			PeriodStart: inv.Created, PeriodEnd: inv.Created, Metadata: map[string]string{}}
		l.Currency = inv.Currency
		if spec.Currency.Set {
			l.Currency = spec.Currency.V
		}
		l.Description = f.Description.V
		if f.Quantity.Set {
			l.Quantity = f.Quantity.V
		}
		if f.Period.Set {
			l.PeriodStart, l.PeriodEnd = f.Period.V.Start, f.Period.V.End
		}
		if f.Discountable.Set {
			l.Discountable = f.Discountable.V
		}
		md, err := metadata.Apply(nil, f.Metadata)
		if err != nil {
			return nil, err
		}
		if md != nil {
			l.Metadata = md
		}
		unit, err := f.UnitAmount.Value()
		if err != nil {
			return nil, err
		}
		amountParam := paramPath(spec.Param, "amount")
		if err := CheckAmount(amountParam, f.Amount.V); f.Amount.Set && err != nil {
			return nil, err
		}
		switch {
		case f.Price.Set:
			pr, err := GetPrice(u.tx, f.Price.V, paramPath(spec.Param, "price"))
			if err != nil {
				return nil, err
			}
			l.Price, l.Currency = pr.ID, pr.Currency
			l.Amount = pr.AmountFor(l.Quantity)
			if l.Description == "" {
				l.Description = productName(u.tx, pr)
			}
		case f.Amount.Set:
			l.Amount = f.Amount.V
		case unit != nil:
			l.Amount = calc.Round(unit.Mul(decimal.NewFromInt(l.Quantity)))
		default:
			return nil, apierr.InvalidRequest("parameter_missing", spec.Param, "Missing required param: %s. An invoice item needs an amount, a price, or a unit_amount.", amountParam)
		}
		if l.Quantity != 0 {
			unit := decimal.NewFromInt(l.Amount).DivRound(decimal.NewFromInt(l.Quantity), MaxDecimalPlaces)
			l.UnitAmount = &unit
		}
		if l.Currency == "" {
			return nil, apierr.ParameterMissing(paramPath(spec.Param, "currency"))
		}
		if inv.Currency == "" {
			inv.Currency = l.Currency
		}
		out = append(out, l)
	}
	return out, nil
}
