package billing

// The statuses of the billing model's records, as Stripe names them. A status
// is stored and rendered as its string; code compares and sets these
// constants, never string literals (server's TestNoStatusLiterals scans this
// package too).

// SubscriptionStatus is a subscription's status.
type SubscriptionStatus string

const (
	SubscriptionActive            SubscriptionStatus = "active"
	SubscriptionTrialing          SubscriptionStatus = "trialing"
	SubscriptionPastDue           SubscriptionStatus = "past_due"
	SubscriptionCanceled          SubscriptionStatus = "canceled"
	SubscriptionIncompleteExpired SubscriptionStatus = "incomplete_expired"
	// SubscriptionIncomplete: its first invoice was not paid (ref §3b).
	SubscriptionIncomplete SubscriptionStatus = "incomplete"
	// SubscriptionUnpaid: its invoice's last retry failed, with the
	// dunning setting mark_unpaid (ref §3d).
	SubscriptionUnpaid SubscriptionStatus = "unpaid"
	// SubscriptionPaused: a trial ended without a payment method, with
	// trial_settings.end_behavior.missing_payment_method=pause.
	SubscriptionPaused SubscriptionStatus = "paused"
)

// InvoiceStatus is an invoice's status.
type InvoiceStatus string

const (
	InvoiceDraft         InvoiceStatus = "draft"
	InvoiceOpen          InvoiceStatus = "open"
	InvoicePaid          InvoiceStatus = "paid"
	InvoiceUncollectible InvoiceStatus = "uncollectible"
	InvoiceVoid          InvoiceStatus = "void"
)

// SetupIntentStatus is a SetupIntent's status (cards never leave one
// processing in test mode [I], so that status is not used).
type SetupIntentStatus string

const (
	SetupIntentRequiresPaymentMethod SetupIntentStatus = "requires_payment_method"
	SetupIntentRequiresConfirmation  SetupIntentStatus = "requires_confirmation"
	SetupIntentRequiresAction        SetupIntentStatus = "requires_action"
	SetupIntentSucceeded             SetupIntentStatus = "succeeded"
	SetupIntentCanceled              SetupIntentStatus = "canceled"
)

// PaymentIntentStatus is a PaymentIntent's status (cards never leave one
// processing in test mode [I], so that status is not used).
type PaymentIntentStatus string

const (
	PaymentIntentRequiresPaymentMethod PaymentIntentStatus = "requires_payment_method"
	PaymentIntentRequiresConfirmation  PaymentIntentStatus = "requires_confirmation"
	PaymentIntentRequiresAction        PaymentIntentStatus = "requires_action"
	PaymentIntentRequiresCapture       PaymentIntentStatus = "requires_capture"
	PaymentIntentSucceeded             PaymentIntentStatus = "succeeded"
	PaymentIntentCanceled              PaymentIntentStatus = "canceled"
)

// ChargeStatus is a charge's status (a card charge is never pending in test
// mode [I]).
type ChargeStatus string

const (
	ChargeSucceeded ChargeStatus = "succeeded"
	ChargeFailed    ChargeStatus = "failed"
)

// RefundStatus is a refund's status.
type RefundStatus string

const (
	RefundPending   RefundStatus = "pending"
	RefundSucceeded RefundStatus = "succeeded"
	RefundFailed    RefundStatus = "failed"
	RefundCanceled  RefundStatus = "canceled"
)
