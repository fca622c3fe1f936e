package billing

import (
	"maps"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/billing/calc"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// The customer balance ledger (ref §2.7): every change of a customer's
// balance is a balance transaction, written by ChangeBalance, which moves
// the balance with it: the API's own transactions (POST
// /v1/customers/{id}/balance_transactions), a balance set on the customer,
// invoice finalization (applied_to_invoice, invoice_too_small: ledgerInvoice)
// and voids (unapplied_from_invoice).

// BalanceTransactionType is a customer balance transaction's type.
type BalanceTransactionType string

const (
	BalanceAdjustment            BalanceTransactionType = "adjustment"
	BalanceAppliedToInvoice      BalanceTransactionType = "applied_to_invoice"
	BalanceCreditNote            BalanceTransactionType = "credit_note"
	BalanceInitial               BalanceTransactionType = "initial"
	BalanceInvoiceOverpaid       BalanceTransactionType = "invoice_overpaid"
	BalanceInvoiceTooLarge       BalanceTransactionType = "invoice_too_large"
	BalanceInvoiceTooSmall       BalanceTransactionType = "invoice_too_small"
	BalanceMigration             BalanceTransactionType = "migration"
	BalanceUnappliedFromInvoice  BalanceTransactionType = "unapplied_from_invoice"
	BalanceUnspentReceiverCredit BalanceTransactionType = "unspent_receiver_credit"
)

// BalanceTransaction is a stored customer balance transaction: amount < 0 is
// a credit to the customer, > 0 a debit; EndingBalance is the customer's
// balance after it.
type BalanceTransaction struct {
	store.Meta
	Customer      string
	Amount        int64
	Currency      string
	Type          BalanceTransactionType
	EndingBalance int64
	Invoice       string
	Description   string
	// Metadata is {} for the API's transactions; nil (rendered null) for
	// those the emulator writes itself (ref §2.7: fx1267 shows null).
	Metadata  map[string]string
	TestClock string
}

// Clone is a copy of the transaction to change and store again (only its
// description and metadata change).
func (t *BalanceTransaction) Clone() *BalanceTransaction {
	n := *t
	n.Metadata = maps.Clone(t.Metadata)
	return &n
}

func (t *BalanceTransaction) clock() string { return t.TestClock }

// BalanceChange is one change of a customer's balance.
type BalanceChange struct {
	Amount   int64
	Currency string
	Type     BalanceTransactionType
	// SetCurrency gives a customer without a currency this one ("a
	// transaction sets customer.currency when unset", ref §2.7); otherwise
	// Currency must be the customer's, if they have one.
	SetCurrency bool
	Invoice     string
	Description string
	Metadata    map[string]string
}

// ChangeBalance writes a balance transaction of a customer and moves their
// balance by its amount, storing both, at the customer's time. A currency
// other than the customer's, or a balance beyond the emulator's largest
// amount, is a 400 naming param (the amount's or the currency's parameter,
// as the caller names them).
func ChangeBalance(u *Unit, cu *Customer, ch BalanceChange, amountParam, currencyParam string) (*BalanceTransaction, *Customer, error) {
	if cu.Currency != "" && ch.Currency != cu.Currency {
		return nil, nil, apierr.Invalid(currencyParam, "The currency of the balance transaction must match the customer's currency (%s).", cu.Currency)
	}
	end := calc.Add(cu.Balance, ch.Amount)
	if end > calc.MaxAmount || end < -calc.MaxAmount {
		return nil, nil, apierr.Invalid(amountParam, "This transaction would take the customer's balance beyond %d (from %d by %d).", calc.MaxAmount, cu.Balance, ch.Amount)
	}
	n := cu.Clone()
	n.Balance = end
	if n.Currency == "" && ch.SetCurrency {
		n.Currency = ch.Currency
	}
	t := &BalanceTransaction{Meta: u.ids.NewMeta("cbtxn", u.CustomerNow(cu.ID)), Customer: cu.ID, Amount: ch.Amount, Currency: ch.Currency,
		Type: ch.Type, EndingBalance: end, Invoice: ch.Invoice, Description: ch.Description, Metadata: ch.Metadata, TestClock: cu.TestClock}
	if err := u.tx.Put(TableCustomers, n); err != nil {
		return nil, nil, err
	}
	return t, n, u.tx.Put(TableBalanceTransactions, t)
}
