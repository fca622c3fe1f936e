package billing

// PreviewRequest is a preview of a customer's next invoice (GET
// /v1/invoices/upcoming, its lines, POST /v1/invoices/create_preview): of a
// subscription, with a change to it or without, or of a new one.
type PreviewRequest struct {
	Customer, Subscription Opt[string]
	Change                 PreviewChange
	Recurring              bool // preview_mode=recurring: the recurring charges only
	InvoiceItems           []InvoiceItemSpec
	Currency               Opt[string]
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

// ChangeForPreview applies a previewed change to a subscription, as the
// update does, in the unit's transaction (a preview's, never committed): the
// subscription changed, or the invoice the change bills at once.
func ChangeForPreview(u *Unit, sub *Subscription, ch PreviewChange, recurringOnly bool, now int64) (*Subscription, *Invoice, error) { // transitional: d5 moves the preview in
	if ch.empty() {
		return sub, nil, nil
	}
	behavior := ch.ProrationBehavior
	if recurringOnly {
		behavior = ProrationNone
	}
	upd := subUpdate{items: ch.Items, behavior: behavior, prorationDate: ch.ProrationDate, trialEnd: ch.TrialEnd, anchorNow: ch.AnchorNow,
		settings: func(n *Subscription) error {
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
		}}
	changed, _, billed, err := changeSubscription(u, sub, upd, now)
	return changed, billed, err
}

// NewItemsForPreview builds the items of a new subscription's preview.
func NewItemsForPreview(u *Unit, sub *Subscription, items []ItemChange, now int64) ([]*Item, error) { // transitional: d5 moves the preview in
	return newItems(u, sub, items, nil, now)
}
