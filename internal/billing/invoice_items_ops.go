package billing

import (
	"github.com/shopspring/decimal"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/billing/calc"
	"github.com/stripe-emulator/stripe-emulator/internal/metadata"
)

// Invoice items: one-off charges and credits of a customer, pending until an
// invoice takes them, or added to a draft (whose lines follow its items).

// CreateInvoiceItem creates an invoice item of a customer, pending or on one
// of their drafts; the customer takes its currency if they had none.
func CreateInvoiceItem(u *Unit, in InvoiceItemCreate) (*InvoiceItem, error) {
	cu, err := GetCustomer(u.tx, in.Customer.V, "customer", false)
	if err != nil {
		return nil, err
	}
	now := u.CustomerNow(cu.ID)
	ii := &InvoiceItem{Meta: u.ids.NewMeta("ii", now), Customer: cu.ID, Quantity: 1, Discountable: true, PeriodStart: now, PeriodEnd: now,
		Metadata: map[string]string{}, TestClock: cu.TestClock}
	if err := applyAmount(u, ii, in.Fields, true); err != nil {
		return nil, err
	}
	if ii.Price == "" {
		cur := cu.Currency
		if in.Currency.Set {
			cur = in.Currency.V
		}
		if cur == "" {
			return nil, apierr.ParameterMissing("currency")
		}
		ii.Currency = cur
	}
	if !calc.IsCurrency(ii.Currency) {
		return nil, apierr.Invalid("currency", "Invalid currency: %s.", apierr.Clip(ii.Currency, 20))
	}
	if err := setCustomerCurrency(u, cu, ii.Currency); err != nil {
		return nil, err
	}
	if in.Subscription.Set {
		sub, err := customerSubscription(u, in.Subscription.V, cu)
		if err != nil {
			return nil, err
		}
		ii.Subscription = sub.ID
	}
	if in.Invoice.Set {
		inv, err := GetInvoice(u.tx, in.Invoice.V, "invoice")
		if err != nil {
			return nil, err
		}
		if inv.Customer != cu.ID || inv.Status != InvoiceDraft {
			return nil, apierr.Invalid("invoice", "Invoice items can only be added to a draft invoice of the same customer; %s is %s.", inv.ID, inv.Status)
		}
		ii.Invoice = inv.ID
	}
	if err := u.tx.Put(TableInvoiceItems, ii); err != nil {
		return nil, err
	}
	return ii, syncDraft(u, ii.Invoice)
}

// UpdateInvoiceItem changes an invoice item not on a finalized invoice.
func UpdateInvoiceItem(u *Unit, id string, in InvoiceItemFields) (*InvoiceItem, error) {
	cur, err := GetInvoiceItem(u.tx, id, "id")
	if err != nil {
		return nil, err
	}
	if err := editableItem(u, cur); err != nil {
		return nil, err
	}
	ii := cur.Clone()
	if err := applyAmount(u, ii, in, false); err != nil {
		return nil, err
	}
	if err := u.tx.Put(TableInvoiceItems, ii); err != nil {
		return nil, err
	}
	return ii, syncDraft(u, ii.Invoice)
}

// DeleteInvoiceItem deletes an invoice item not on a finalized invoice, and
// returns it.
func DeleteInvoiceItem(u *Unit, id string) (*InvoiceItem, error) {
	ii, err := GetInvoiceItem(u.tx, id, "id")
	if err != nil {
		return nil, err
	}
	if err := editableItem(u, ii); err != nil {
		return nil, err
	}
	if err := u.tx.Remove(TableInvoiceItems, ii); err != nil {
		return nil, err
	}
	return ii, syncDraft(u, ii.Invoice)
}

// applyAmount sets an item's amount from amount, price × quantity, or
// unit_amount(_decimal) × quantity, and what else the request sets of it.
func applyAmount(u *Unit, ii *InvoiceItem, in InvoiceItemFields, creating bool) error {
	if in.Quantity.Set {
		if in.Quantity.V < 0 {
			return apierr.Invalid("quantity", "This value must be greater than or equal to 0.")
		}
		ii.Quantity = in.Quantity.V
	}
	unit, err := in.UnitAmount.Value()
	if err != nil {
		return err
	}
	amount, hasAmount := in.Amount.V, in.Amount.Set
	if err := CheckAmount("amount", amount); hasAmount && err != nil {
		return err
	}
	n := 0
	for _, b := range []bool{hasAmount, in.Price.Set, unit != nil} {
		if b {
			n++
		}
	}
	if n > 1 {
		return apierr.InvalidRequest("parameters_exclusive", "amount", "You may only specify one of these parameters: amount, price, unit_amount.")
	}
	priceParam := in.PriceParam
	if priceParam == "" {
		priceParam = "price"
	}
	switch {
	case in.Price.Set:
		pr, err := GetPrice(u.tx, in.Price.V, priceParam)
		if err != nil {
			return err
		}
		if !pr.Active {
			return apierr.Invalid(priceParam, "The price specified is inactive. This field only accepts active prices.")
		}
		if !creating && pr.Currency != ii.Currency {
			// An item's currency is its invoice's, or (pending) its customer's.
			return apierr.Invalid(priceParam, "The price's currency (%s) must match the invoice item's currency (%s).", pr.Currency, ii.Currency)
		}
		ii.Price, ii.Currency, ii.UnitAmount = pr.ID, pr.Currency, nil
		ii.Amount = pr.AmountFor(ii.Quantity)
		if pr.UnitAmount != nil && !pr.Tiered {
			unit := *pr.UnitAmount
			ii.UnitAmount = &unit
		}
		if ii.Description == "" {
			ii.Description = productName(u.tx, pr)
		}
	case hasAmount:
		ii.Amount, ii.Price = amount, ""
		each := decimal.NewFromInt(amount)
		if ii.Quantity > 1 {
			each = each.DivRound(decimal.NewFromInt(ii.Quantity), MaxDecimalPlaces)
		}
		ii.UnitAmount = &each
	case unit != nil:
		ii.Price, ii.UnitAmount = "", unit
		ii.Amount = calc.Round(unit.Mul(decimal.NewFromInt(ii.Quantity)))
	case creating:
		return apierr.InvalidRequest("parameter_missing", "amount", "Missing required param: amount. An invoice item needs an amount, a price, or a unit_amount.")
	case in.Quantity.Given() && ii.UnitAmount != nil && ii.Price == "":
		ii.Amount = calc.Round(ii.UnitAmount.Mul(decimal.NewFromInt(ii.Quantity)))
	case in.Quantity.Given() && ii.Price != "":
		pr, err := GetPrice(u.tx, ii.Price, "price")
		if err != nil {
			return err
		}
		ii.Amount = pr.AmountFor(ii.Quantity)
	}
	if in.Description.Set {
		ii.Description = in.Description.V
	}
	if in.Discountable.Set {
		ii.Discountable = in.Discountable.V
	}
	if in.Period.Set {
		ii.PeriodStart, ii.PeriodEnd = in.Period.V.Start, in.Period.V.End
		if ii.PeriodEnd < ii.PeriodStart {
			return apierr.Invalid("period[end]", "period[end] must be at or after period[start].")
		}
	}
	md, err := metadata.Apply(ii.Metadata, in.Metadata)
	if err != nil {
		return err
	}
	ii.Metadata = md
	return nil
}

// syncDraft rebuilds the invoice-item lines of a draft invoice from its items.
func syncDraft(u *Unit, invoice string) error {
	if invoice == "" {
		return nil
	}
	inv, err := GetInvoice(u.tx, invoice, "invoice")
	if err != nil {
		return err
	}
	recs, err := u.tx.Find(TableInvoiceItems, "invoice", inv.ID)
	if err != nil {
		return err
	}
	n := inv.Clone()
	lines := storedItemLines(invoiceItems(recs))
	for _, l := range inv.Lines {
		if l.Type != "invoiceitem" {
			lines = append(lines, l)
		}
	}
	n.Lines = lines
	return u.tx.Put(TableInvoices, n)
}

// editableItem refuses changes to an item on a finalized invoice.
func editableItem(u *Unit, ii *InvoiceItem) error {
	if ii.Invoice == "" {
		return nil
	}
	inv, err := GetInvoice(u.tx, ii.Invoice, "invoice")
	if err != nil {
		return err
	}
	if inv.Status != InvoiceDraft {
		return apierr.InvalidRequest("", "", "The invoice item %s is on a finalized invoice (%s) and can no longer change.", ii.ID, inv.ID)
	}
	return nil
}
