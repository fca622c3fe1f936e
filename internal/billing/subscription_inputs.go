package billing

import "github.com/stripe-emulator/stripe-emulator/internal/metadata"

// The typed inputs of subscriptions: creating one, changing it (the update,
// the item endpoints), cancelling and resuming it. As inputs.go's, they are
// the request as it was given; the engine makes every check, in Stripe's
// order.

// Moment is "now" or a timestamp (trial_end).
type Moment struct {
	Now bool  // "now"
	At  int64 // the timestamp, when not Now
}

// ProrationBehavior is proration_behavior: what a change bills for the rest
// of the period.
type ProrationBehavior string

const (
	// ProrationCreate (the default, also for ""): prorations as pending
	// invoice items, which the next invoice takes.
	ProrationCreate ProrationBehavior = "create_prorations"
	// ProrationNone: nothing.
	ProrationNone ProrationBehavior = "none"
	// ProrationAlwaysInvoice: prorations invoiced at once.
	ProrationAlwaysInvoice ProrationBehavior = "always_invoice"
)

// SubscriptionCreate is POST /v1/subscriptions.
type SubscriptionCreate struct {
	Customer          Opt[string]
	BackdateStartDate Opt[int64]
	ItemsGiven        bool // items was given (an empty list is missing too)
	Items             []ItemChange
	Currency          Opt[string]
	Settings          SubscriptionSettings
	TrialEnd          Opt[Moment]
	TrialPeriodDays   Opt[int64]
	TrialFromPlan     bool
	Anchor            Opt[int64] // billing_cycle_anchor
	ProrationBehavior ProrationBehavior
	AddInvoiceItems   []AddInvoiceItem
	PaymentBehavior   PaymentBehavior // "": allow_incomplete
	Mode              ModeRequest
}

// ModeRequest is a new subscription's billing_mode (2025-06-30.basil), with
// the default the request's version gives (server resolves the version: the
// engine never sees one).
type ModeRequest struct {
	Default Mode // the mode without billing_mode[type]
	// Stamped: the request's version has billing modes, so the mode is the
	// request's choice and billing_mode[updated_at] is when it was made.
	Stamped bool
	// Param is billing_mode's path ("billing_mode",
	// "subscription_details[billing_mode]"); "" when it was not given.
	Param              string
	Type               Opt[string] // billing_mode[type]
	FlexibleGiven      bool        // billing_mode[flexible] was given
	ProrationDiscounts Opt[string] // billing_mode[flexible][proration_discounts]
}

// SubscriptionSettings are what creating a subscription and updating one
// share, apart from its items and its trial.
type SubscriptionSettings struct {
	CollectionMethod  Opt[string] // charge_automatically or send_invoice
	DaysUntilDue      Opt[int64]
	CancelAtPeriodEnd Opt[bool]
	CancelAt          Opt[int64] // Clear: cancel_at= (update)
	Description       Opt[string]
	TrialEndBehavior  Opt[string] // trial_settings[end_behavior][missing_payment_method]
	AutomaticTax      bool        // automatic_tax[enabled]=true
	Metadata          metadata.Patch
	// DefaultPaymentMethod is default_payment_method: a payment method
	// attached to the subscription's customer (Clear: given empty, refused).
	DefaultPaymentMethod Opt[string]
	// SaveDefaultPaymentMethod is payment_settings[save_default_payment_method]
	// (off, on_subscription).
	SaveDefaultPaymentMethod Opt[string]
}

// ItemChange is one subscription item as a request gives it: an element of
// items (create, update, previews), or the parameters of an item endpoint.
// With an ID it changes (or, Deleted, removes) that item; without, it adds
// one.
type ItemChange struct {
	// Param is the element's path ("items[0]"); "" for the item endpoints,
	// whose parameters are at the top. Errors name its parameters below it.
	Param      string
	ID         Opt[string]
	Deleted    bool
	ClearUsage bool
	Price      PriceRef
	Quantity   Opt[int64]
	Metadata   metadata.Patch
	// RefuseLegacyMetered is, from 2025-03-31.basil, the request's API
	// version, which the refusal names: a metered price without a meter can
	// no longer be attached. "": any price is attached.
	RefuseLegacyMetered string
}

// PriceRef is the price an item or an add_invoice_items entry names: an
// existing price (plan is its legacy name), or price_data.
type PriceRef struct {
	Price, Plan Opt[string]
	// Inline builds, stores and returns the price of price_data (nil: not
	// given). Its rules are server's price rules; the engine calls it where
	// Stripe resolves the price, in the unit's transaction.
	Inline func() (*Price, error)
}

// given reports whether the request names a price at all.
func (r PriceRef) given() bool { return r.Price.Given() || r.Plan.Given() || r.Inline != nil }

// AddInvoiceItem is an element of add_invoice_items: a one-time price (or
// price_data; Price.Plan is not taken) and a quantity.
type AddInvoiceItem struct {
	Param    string // "add_invoice_items[0]"
	Price    PriceRef
	Quantity Opt[int64]
}

// CancellationDetails is cancellation_details.
type CancellationDetails struct {
	Given             bool
	Comment, Feedback Opt[string]
}

// SubscriptionChange is POST /v1/subscriptions/{subscription_exposed_id}.
type SubscriptionChange struct {
	Subscription      string // the path's: "No such subscription" names id
	Items             []ItemChange
	ProrationBehavior ProrationBehavior
	ProrationDate     Opt[int64]
	TrialEnd          Opt[Moment]
	AnchorNow         bool // billing_cycle_anchor=now
	AddInvoiceItems   []AddInvoiceItem
	Settings          SubscriptionSettings
	Cancellation      CancellationDetails
	PaymentBehavior   PaymentBehavior // "": allow_incomplete
}

// ItemRequest is a change through an item endpoint: one ItemChange through
// the update's path, so that it behaves exactly as items[0] does.
type ItemRequest struct {
	// Subscription is POST /v1/subscription_items' subscription; the other
	// endpoints change the item of Item.ID (the path's), on its subscription.
	Subscription      Opt[string]
	Item              ItemChange
	ProrationBehavior ProrationBehavior
	ProrationDate     Opt[int64]
	PaymentBehavior   PaymentBehavior // "": allow_incomplete
}

// CancelRequest is DELETE /v1/subscriptions/{subscription_exposed_id}.
type CancelRequest struct {
	Subscription string // the path's
	InvoiceNow   Opt[bool]
	Prorate      bool
	Cancellation CancellationDetails
}

// ResumeRequest is POST /v1/subscriptions/{subscription}/resume.
type ResumeRequest struct {
	Subscription      string // the path's
	AnchorNow         bool   // billing_cycle_anchor=now (the default), not unchanged
	ProrationBehavior ProrationBehavior
	ProrationDate     Opt[int64]
}

// paramPath is a parameter's path below its parent's ("items[0][price]"; the
// name alone at the top).
func paramPath(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "[" + name + "]"
}
