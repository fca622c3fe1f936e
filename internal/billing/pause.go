package billing

import "github.com/stripe-emulator/stripe-emulator/internal/apierr"

// Pausing a subscription (POST /v1/subscriptions/{subscription}/pause,
// 2026-09-30.endive; stripe-node 23's types): "A paused subscription does not
// generate invoices and will not advance to new billing periods", until
// Resume. Only flexible subscriptions pause ("To pause a subscription, enable
// flexible billing mode"). What the pause bills is bill_for's: the metered
// usage of the period so far (outstanding_usage_through, "Defaults to {type:
// now}") and a credit for the licensed items' unused time (unused_time_from,
// from now by default, or from the period's start), as pending invoice items
// (invoicing_behavior pending_invoice_item, the default) or an invoice at once
// (invoice).

// PauseRequest is POST /v1/subscriptions/{subscription}/pause.
type PauseRequest struct {
	Subscription string // the path's
	PauseSettings
}

// PauseSettings is what a pause bills and how: the pause endpoint's
// parameters, and a preview's subscription_details[pause]. Its values are the
// schema's (server's); "" is the default.
type PauseSettings struct {
	InvoicingBehavior string // invoice or pending_invoice_item (the default)
	UsageThrough      string // bill_for[outstanding_usage_through][type]: now (the default) or none
	UnusedTimeFrom    string // bill_for[unused_time_from][type]: now (the default), item_current_period_start or none
}

// PauseRequested is the reason of a pause asked for (status_details).
const PauseRequested = "pause_requested"

// Pause pauses an active flexible subscription now, billing what bill_for
// asks for. It returns the subscription as stored.
func Pause(u *Unit, in PauseRequest) (*Subscription, error) {
	cur, err := GetSubscription(u.tx, in.Subscription, "id")
	if err != nil {
		return nil, err
	}
	sub, _, err := pause(u, cur, in.PauseSettings)
	return sub, err
}

// pause pauses cur now as Pause does. It returns the subscription as stored
// and the invoice the pause made at once (nil: none).
func pause(u *Unit, cur *Subscription, in PauseSettings) (*Subscription, *Invoice, error) {
	if cur.Status != SubscriptionActive {
		return nil, nil, apierr.InvalidRequest("", "", "Only an active subscription can be paused; %s is %s.", cur.ID, cur.Status)
	}
	if cur.Mode() != ModeFlexible {
		return nil, nil, apierr.InvalidRequest("", "", "To pause a subscription, enable flexible billing mode: %s uses classic billing mode (POST /v1/subscriptions/%s/migrate moves it to flexible).", cur.ID, cur.ID)
	}
	now := u.CustomerNow(cur.Customer)
	items, err := ItemsOf(u.tx, cur.ID)
	if err != nil {
		return nil, nil, err
	}
	billed := 0
	if in.UsageThrough != "none" {
		var metered []*Item
		for _, it := range items {
			pr, err := GetPrice(u.tx, it.Price, "price")
			if err != nil {
				return nil, nil, err
			}
			if pr.Metered() {
				metered = append(metered, it)
			}
		}
		if billed, err = invoiceStoppedUsage(u, cur, metered, now); err != nil {
			return nil, nil, err
		}
		for _, it := range metered { // billed up to now: the period's invoice counts from then
			n := it.Clone()
			n.PriceSince = now
			if err := u.tx.Put(TableSubscriptionItems, n); err != nil {
				return nil, nil, err
			}
		}
	}
	if in.UnusedTimeFrom != "none" {
		from := now
		if in.UnusedTimeFrom == "item_current_period_start" {
			from = cur.PeriodStart
		}
		credits, err := unusedTime(u, cur, items, from)
		if err != nil {
			return nil, nil, err
		}
		if err := pendProrations(u, cur, credits); err != nil {
			return nil, nil, err
		}
		billed += len(credits)
	}
	sub := cur.Clone()
	sub.Status, sub.PausedAt, sub.PauseReason, sub.UpcomingNoticeFor = SubscriptionPaused, now, PauseRequested, 0
	if err := u.tx.Put(TableSubscriptions, sub); err != nil {
		return nil, nil, err
	}
	var inv *Invoice
	if in.InvoicingBehavior == "invoice" && billed > 0 {
		if sub, inv, err = invoiceNow(u, sub, nil, now, updateCollection("")); err != nil {
			return nil, nil, err
		}
	}
	return sub, inv, nil
}

// previewPause fills a preview of the invoice pausing sub would make
// (create_preview's subscription_details[pause], 2026-09-30.endive): the
// pause itself, in the preview's transaction, which the caller never
// commits. Stripe: "To receive a preview invoice, set invoicing_behavior to
// invoice. A preview isn't available if the bill_for options produce no
// billable amounts", each a 404 ("pending_invoice_item returns a 404
// error"; the code and wording are the emulator's [I]).
func previewPause(u *Unit, inv *Invoice, sub *Subscription, in PauseSettings) error {
	_, billed, err := pause(u, sub, in)
	if err != nil {
		return err
	}
	if billed == nil {
		why := "invoicing_behavior is pending_invoice_item (the default): the pause bills through pending invoice items, and a paused subscription makes no invoice"
		if in.InvoicingBehavior == "invoice" {
			why = "its bill_for bills nothing"
		}
		return &apierr.Error{Status: 404, Type: apierr.TypeInvalidRequest, Code: "invoice_upcoming_none",
			Message: "No invoice to preview for pausing " + sub.ID + ": " + why + "."}
	}
	inv.Subscription, inv.Currency, inv.CollectionMethod, inv.SubscriptionMetadata = sub.ID, sub.Currency, sub.CollectionMethod, sub.Metadata
	inv.previewBilled(billed)
	return nil
}
