package billing

import (
	"fmt"

	"github.com/stripe-emulator/stripe-emulator/internal/billing/calc"
)

// Finalization and collection: a draft becomes an open invoice with a
// number, the customer's balance applied, and is collected. The emulator
// holds no payment methods: collection is "as if by a working card".

// finalizeInvoice finalizes a draft at a time: its usage re-rated (a renewal
// invoice's, for the usage reported during the grace hour), a number given,
// the customer's balance applied, and the invoice collected (collect). A
// past_due subscription whose latest invoice this is and which is paid
// becomes active again.
func finalizeInvoice(u *Unit, inv *Invoice, at int64) (*Invoice, error) {
	n := inv.Clone()
	if n.BillingReason == "subscription_cycle" {
		if err := refreshUsage(u, n); err != nil {
			return nil, err
		}
	}
	cur, err := GetCustomer(u.tx, n.Customer, "customer", true)
	if err != nil {
		return nil, err
	}
	cu := cur.Clone()
	if !cu.Deleted {
		n.Number = cu.InvoicePrefix + "-" + fmt.Sprintf("%04d", cu.NextInvoiceSequence)
		cu.NextInvoiceSequence++
	}
	n.StartingBalance = cu.Balance
	n.Status, n.FinalizedAt, n.EffectiveAt, n.FinalizesAt = InvoiceOpen, at, at, 0
	balance := collect(n, at)
	n.EndingBalance = &balance
	cu.Balance = balance
	if err := u.tx.Put(TableInvoices, n); err != nil {
		return nil, err
	}
	if !cu.Deleted {
		if err := u.tx.Put(TableCustomers, cu); err != nil {
			return nil, err
		}
	}
	return n, afterPaid(u, n)
}

// collect collects a finalized invoice at a time, after its starting balance
// (the customer's: positive is owed and adds, a credit subtracts), and
// returns the customer's balance after it:
//   - nothing due: paid at once, and a credit larger than the total stays a
//     credit;
//   - charge_automatically, below Stripe's minimum charge for the currency:
//     not charged; marked paid, and the amount is carried to the balance for
//     the next invoice;
//   - charge_automatically: paid at once, as if by the customer's card (one
//     attempt);
//   - send_invoice: open until its due date (30 days if it has none).
func collect(inv *Invoice, at int64) int64 {
	after := calc.Add(inv.Subtotal(), inv.StartingBalance)
	balance := min(after, 0)
	due := max(after, 0)
	switch {
	case due == 0:
		inv.markPaid(at, 0)
	case inv.CollectionMethod == "charge_automatically" && due < calc.MinimumCharge(inv.Currency):
		balance = calc.Add(balance, due)
		inv.markPaid(at, 0)
	case inv.CollectionMethod == "charge_automatically":
		inv.Attempted, inv.AttemptCount = true, 1
		inv.markPaid(at, due)
	default:
		if inv.DueDate == 0 {
			inv.DueDate = at + 30*86400
		}
	}
	return balance
}

// markPaid marks the invoice paid at a time, amount of it charged.
func (inv *Invoice) markPaid(at, amount int64) {
	inv.Status, inv.Paid, inv.PaidAt, inv.AmountPaid = InvoicePaid, true, at, amount
}

// afterPaid brings a past_due subscription back once its latest invoice is paid.
func afterPaid(u *Unit, inv *Invoice) error {
	if !inv.Paid || inv.Subscription == "" {
		return nil
	}
	sub, err := GetSubscription(u.tx, inv.Subscription, "subscription")
	if err != nil || sub.Status != SubscriptionPastDue || sub.LatestInvoice != inv.ID {
		return nil
	}
	n := sub.Clone()
	n.Status = SubscriptionActive
	return u.tx.Put(TableSubscriptions, n)
}
