package billing

import (
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// InvoicePayment is a stored invoice payment: a PaymentIntent's payment of
// an invoice (basil's invoice_payment, design-16 §4.6). It is kept at every
// API version (the engine never branches on one); only 2025-03-31.basil and
// later serve it. One is made with the invoice's PaymentIntent, the
// default, and follows it: paid with it, canceled when the invoice is
// voided.
type InvoicePayment struct {
	store.Meta
	Invoice         string
	PaymentIntent   string
	AmountRequested int64
	AmountPaid      int64 // 0 (null) until paid
	Currency        string
	Status          InvoicePaymentStatus
	PaidAt          int64
	CanceledAt      int64
	TestClock       string
}

// InvoicePaymentStatus is an invoice payment's status.
type InvoicePaymentStatus string

const (
	InvoicePaymentOpen     InvoicePaymentStatus = "open"
	InvoicePaymentPaid     InvoicePaymentStatus = "paid"
	InvoicePaymentCanceled InvoicePaymentStatus = "canceled"
)

// Clone is a copy of the invoice payment to change and store again.
func (ip *InvoicePayment) Clone() *InvoicePayment {
	n := *ip
	return &n
}

func (ip *InvoicePayment) clock() string { return ip.TestClock }

// newInvoicePayment stores the invoice payment of an invoice's PaymentIntent.
func newInvoicePayment(u *Unit, inv *Invoice, pi *PaymentIntent, at int64) error {
	ip := &InvoicePayment{Meta: u.ids.NewMeta("inpay", at), Invoice: inv.ID, PaymentIntent: pi.ID, AmountRequested: pi.Amount,
		Currency: pi.Currency, Status: InvoicePaymentOpen, TestClock: inv.TestClock}
	return u.tx.Put(TableInvoicePayments, ip)
}

// settleInvoicePayment marks an invoice's open payment paid (amount, at) or
// canceled.
func settleInvoicePayment(u *Unit, invoice string, status InvoicePaymentStatus, amount, at int64) error {
	recs, err := u.tx.Find(TableInvoicePayments, "invoice", invoice)
	if err != nil {
		return err
	}
	for _, r := range recs {
		ip := r.(*InvoicePayment)
		if ip.Status != InvoicePaymentOpen {
			continue
		}
		n := ip.Clone()
		n.Status = status
		if status == InvoicePaymentPaid {
			n.AmountPaid, n.PaidAt = amount, at
		} else {
			n.CanceledAt = at
		}
		if err := u.tx.Put(TableInvoicePayments, n); err != nil {
			return err
		}
	}
	return nil
}
