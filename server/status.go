package server

// The statuses of the billing model's records, as Stripe names them. A status
// is stored and rendered as its string; code compares and sets these
// constants, never string literals (TestNoStatusLiterals). Issue 14 moves
// them into the billing engine with the records (its stage d1).

// subscriptionStatus is a subscription's status.
type subscriptionStatus string

const (
	subscriptionActive            subscriptionStatus = "active"
	subscriptionTrialing          subscriptionStatus = "trialing"
	subscriptionPastDue           subscriptionStatus = "past_due"
	subscriptionCanceled          subscriptionStatus = "canceled"
	subscriptionIncompleteExpired subscriptionStatus = "incomplete_expired"
	// subscriptionPaused: a trial ended without a payment method, with
	// trial_settings.end_behavior.missing_payment_method=pause.
	subscriptionPaused subscriptionStatus = "paused"
)

// invoiceStatus is an invoice's status.
type invoiceStatus string

const (
	invoiceDraft         invoiceStatus = "draft"
	invoiceOpen          invoiceStatus = "open"
	invoicePaid          invoiceStatus = "paid"
	invoiceUncollectible invoiceStatus = "uncollectible"
	invoiceVoid          invoiceStatus = "void"
)
