package server

import (
	"github.com/shopspring/decimal"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/billing/calc"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/metadata"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// pendingItems lists a customer's invoice items not yet on an invoice, oldest first.
func (c *call) pendingItems(customerID string) ([]*billing.InvoiceItem, error) {
	recs, err := c.tx.Find(tInvoiceItems, "pending", customerID)
	if err != nil {
		return nil, err
	}
	out := make([]*billing.InvoiceItem, len(recs))
	for i, r := range recs {
		out[i] = r.(*billing.InvoiceItem)
	}
	store.SortByCreation(out)
	return out, nil
}

func invoiceItemEndpoints() []endpoint {
	params := []string{"amount", "description", "discountable", "metadata", "period", "price", "quantity", "unit_amount", "unit_amount_decimal"}
	return []endpoint{
		{route: "POST /v1/invoiceitems", op: "PostInvoiceitems", mode: txWrite, h: createInvoiceItem, accepts: append([]string{"currency", "customer", "invoice", "subscription"}, params...)},
		{route: "GET /v1/invoiceitems", op: "GetInvoiceitems", mode: txRead, h: listInvoiceItems},
		{route: "GET /v1/invoiceitems/{invoiceitem}", op: "GetInvoiceitemsInvoiceitem", mode: txRead, h: retrieveInvoiceItem},
		{route: "POST /v1/invoiceitems/{invoiceitem}", op: "PostInvoiceitemsInvoiceitem", mode: txWrite, h: updateInvoiceItem, accepts: params},
		{route: "DELETE /v1/invoiceitems/{invoiceitem}", op: "DeleteInvoiceitemsInvoiceitem", mode: txWrite, h: deleteInvoiceItem},
	}
}

func (c *call) getInvoiceItem(id string) (*billing.InvoiceItem, error) {
	return getRecord[*billing.InvoiceItem](c.tx, tInvoiceItems, "invoice item", id, "id")
}

const tInvoiceItems = billing.TableInvoiceItems

var invoiceItemResource = &resource[*billing.InvoiceItem]{
	resourceDesc: resourceDesc{
		name:   "invoiceitem",
		noun:   "invoice item",
		table:  billing.Table(tInvoiceItems),
		codec:  plainCodec[billing.InvoiceItem](),
		expand: map[string]string{"customer": "customer", "invoice": "invoice", "subscription": "subscription", "test_clock": "test_helpers.test_clock"},
		events: crudEvents("invoiceitem"),
		routes: invoiceItemEndpoints,
	},
	render: (*renderCtx).renderInvoiceItem,
}

// applyInvoiceItemAmount sets an item's amount from amount, price × quantity, or
// unit_amount(_decimal) × quantity.
func (c *call) applyInvoiceItemAmount(ii *billing.InvoiceItem, p *form.Params, creating bool) error {
	if q, ok := p.Int("quantity"); ok {
		if q < 0 {
			return apierr.Invalid("quantity", "This value must be greater than or equal to 0.")
		}
		ii.Quantity = q
	}
	unit, err := amountParam(p, "unit_amount")
	if err != nil {
		return err
	}
	amount, hasAmount := p.Int("amount")
	if err := checkAmount("amount", amount); hasAmount && err != nil {
		return err
	}
	priceID, hasPrice := p.String("price")
	n := 0
	for _, b := range []bool{hasAmount, hasPrice, unit != nil} {
		if b {
			n++
		}
	}
	if n > 1 {
		return apierr.InvalidRequest("parameters_exclusive", "amount", "You may only specify one of these parameters: amount, price, unit_amount.")
	}
	switch {
	case hasPrice:
		pr, err := c.getPrice(priceID, "price")
		if err != nil {
			return err
		}
		if !pr.Active {
			return apierr.Invalid("price", "The price specified is inactive. This field only accepts active prices.")
		}
		if !creating && pr.Currency != ii.Currency {
			// An item's currency is its invoice's, or (pending) its customer's.
			return apierr.Invalid("price", "The price's currency (%s) must match the invoice item's currency (%s).", pr.Currency, ii.Currency)
		}
		ii.Price, ii.Currency, ii.UnitAmount = pr.ID, pr.Currency, nil
		ii.Amount = pr.AmountFor(ii.Quantity)
		if pr.UnitAmount != nil && !pr.Tiered {
			u := *pr.UnitAmount
			ii.UnitAmount = &u
		}
		if ii.Description == "" {
			ii.Description = billing.ProductName(c.tx, pr)
		}
	case hasAmount:
		ii.Amount, ii.Price = amount, ""
		u := decimal.NewFromInt(amount)
		if ii.Quantity > 1 {
			u = u.DivRound(decimal.NewFromInt(ii.Quantity), billing.MaxDecimalPlaces)
		}
		ii.UnitAmount = &u
	case unit != nil:
		ii.Price, ii.UnitAmount = "", unit
		ii.Amount = calc.Round(unit.Mul(decimal.NewFromInt(ii.Quantity)))
	case creating:
		return apierr.InvalidRequest("parameter_missing", "amount", "Missing required param: amount. An invoice item needs an amount, a price, or a unit_amount.")
	case p.Has("quantity") && ii.UnitAmount != nil && ii.Price == "":
		ii.Amount = calc.Round(ii.UnitAmount.Mul(decimal.NewFromInt(ii.Quantity)))
	case p.Has("quantity") && ii.Price != "":
		pr, err := c.getPrice(ii.Price, "price")
		if err != nil {
			return err
		}
		ii.Amount = pr.AmountFor(ii.Quantity)
	}
	if v, ok := p.String("description"); ok {
		ii.Description = v
	}
	if v, ok := p.Bool("discountable"); ok {
		ii.Discountable = v
	}
	if per := p.Object("period"); per != nil {
		ii.PeriodStart, _ = per.Int("start")
		ii.PeriodEnd, _ = per.Int("end")
		if ii.PeriodEnd < ii.PeriodStart {
			return apierr.Invalid("period[end]", "period[end] must be at or after period[start].")
		}
	}
	md, err := metadata.Apply(ii.Metadata, decodeMetadata(p, "metadata"))
	if err != nil {
		return err
	}
	ii.Metadata = md
	return nil
}

func createInvoiceItem(c *call) (jsonobj.Obj, error) {
	p := c.params
	customerID, _ := p.String("customer")
	cu, err := c.getCustomer(customerID, "customer", false)
	if err != nil {
		return nil, err
	}
	now := c.u.CustomerNow(cu.ID)
	ii := &billing.InvoiceItem{Meta: c.newMetaAt("ii", now), Customer: cu.ID, Quantity: 1, Discountable: true, PeriodStart: now, PeriodEnd: now,
		Metadata: map[string]string{}, TestClock: cu.TestClock}
	if err := c.applyInvoiceItemAmount(ii, p, true); err != nil {
		return nil, err
	}
	if ii.Price == "" {
		cur, ok := p.String("currency")
		if !ok {
			cur = cu.Currency
		}
		if cur == "" {
			return nil, apierr.ParameterMissing("currency")
		}
		ii.Currency = cur
	}
	if !calc.IsCurrency(ii.Currency) {
		return nil, apierr.Invalid("currency", "Invalid currency: %s.", apierr.Clip(ii.Currency, 20))
	}
	if err := c.setCustomerCurrency(cu, ii.Currency); err != nil {
		return nil, err
	}
	if subID, ok := p.String("subscription"); ok {
		sub, err := c.getSubscription(subID, "subscription")
		if err != nil {
			return nil, err
		}
		if sub.Customer != cu.ID {
			return nil, apierr.Invalid("subscription", "The subscription %s belongs to another customer.", sub.ID)
		}
		ii.Subscription = sub.ID
	}
	if invID, ok := p.String("invoice"); ok {
		inv, err := c.getInvoice(invID, "invoice")
		if err != nil {
			return nil, err
		}
		if inv.Customer != cu.ID || inv.Status != billing.InvoiceDraft {
			return nil, apierr.Invalid("invoice", "Invoice items can only be added to a draft invoice of the same customer; %s is %s.", inv.ID, inv.Status)
		}
		ii.Invoice = inv.ID
	}
	if err := c.tx.Put(tInvoiceItems, ii); err != nil {
		return nil, err
	}
	if err := c.syncDraft(ii.Invoice); err != nil {
		return nil, err
	}
	return c.renderInvoiceItem(ii)
}

// syncDraft rebuilds the invoice-item lines of a draft invoice from its items.
func (c *call) syncDraft(invoiceID string) error {
	if invoiceID == "" {
		return nil
	}
	inv, err := c.getInvoice(invoiceID, "invoice")
	if err != nil {
		return err
	}
	recs, err := c.tx.Find(tInvoiceItems, "invoice", inv.ID)
	if err != nil {
		return err
	}
	items := make([]*billing.InvoiceItem, len(recs))
	for i, r := range recs {
		items[i] = r.(*billing.InvoiceItem)
	}
	store.SortByCreation(items)
	n := inv.Clone()
	lines := billing.StoredItemLines(items)
	for _, l := range inv.Lines {
		if l.Type != "invoiceitem" {
			lines = append(lines, l)
		}
	}
	n.Lines = lines
	return c.tx.Put(tInvoices, n)
}

// editableItem refuses changes to an item on a finalized invoice.
func (c *call) editableItem(ii *billing.InvoiceItem) error {
	if ii.Invoice == "" {
		return nil
	}
	inv, err := c.getInvoice(ii.Invoice, "invoice")
	if err != nil {
		return err
	}
	if inv.Status != billing.InvoiceDraft {
		return apierr.InvalidRequest("", "", "The invoice item %s is on a finalized invoice (%s) and can no longer change.", ii.ID, inv.ID)
	}
	return nil
}

func updateInvoiceItem(c *call) (jsonobj.Obj, error) {
	cur, err := c.getInvoiceItem(c.pathID())
	if err != nil {
		return nil, err
	}
	if err := c.editableItem(cur); err != nil {
		return nil, err
	}
	ii := cur.Clone()
	if err := c.applyInvoiceItemAmount(ii, c.params, false); err != nil {
		return nil, err
	}
	if err := c.tx.Put(tInvoiceItems, ii); err != nil {
		return nil, err
	}
	if err := c.syncDraft(ii.Invoice); err != nil {
		return nil, err
	}
	return c.renderInvoiceItem(ii)
}

func deleteInvoiceItem(c *call) (jsonobj.Obj, error) {
	ii, err := c.getInvoiceItem(c.pathID())
	if err != nil {
		return nil, err
	}
	if err := c.editableItem(ii); err != nil {
		return nil, err
	}
	if err := c.tx.Remove(tInvoiceItems, ii); err != nil {
		return nil, err
	}
	if err := c.syncDraft(ii.Invoice); err != nil {
		return nil, err
	}
	return jsonobj.Obj{{K: "id", V: ii.ID}, {K: "object", V: "invoiceitem"}, {K: "deleted", V: true}}, nil
}

func retrieveInvoiceItem(c *call) (jsonobj.Obj, error) {
	ii, err := c.getInvoiceItem(c.pathID())
	if err != nil {
		return nil, err
	}
	return c.renderInvoiceItem(ii)
}

func listInvoiceItems(c *call) (jsonobj.Obj, error) {
	p := c.params
	customerID, byCustomer := p.String("customer")
	invID, byInvoice := p.String("invoice")
	pending, byPending := p.Bool("pending")
	match := func(r store.Record) bool {
		ii := r.(*billing.InvoiceItem)
		return (!byCustomer || ii.Customer == customerID) && (!byInvoice || ii.Invoice == invID) && (!byPending || (ii.Invoice == "") == pending)
	}
	return c.list(tInvoiceItems, "invoice item", "/v1/invoiceitems", match, func(r store.Record) (jsonobj.Obj, error) {
		return c.renderInvoiceItem(r.(*billing.InvoiceItem))
	})
}

func (rc *renderCtx) renderInvoiceItem(ii *billing.InvoiceItem) (jsonobj.Obj, error) {
	var priceObj, plan any
	if ii.Price != "" {
		pr, err := rc.getPrice(ii.Price, "price")
		if err != nil {
			return nil, err
		}
		priceObj, plan = rc.renderPrice(pr), rc.renderPlan(pr)
	}
	o := jsonobj.Obj{
		{K: "id", V: ii.ID},
		{K: "object", V: "invoiceitem"},
		{K: "amount", V: ii.Amount},
		{K: "currency", V: ii.Currency},
		{K: "customer", V: ii.Customer},
		{K: "date", V: ii.Created},
		{K: "description", V: orNull(ii.Description)},
		{K: "discountable", V: ii.Discountable},
		{K: "discounts", V: []any{}},
		{K: "invoice", V: orNull(ii.Invoice)},
		{K: "livemode", V: false},
		{K: "metadata", V: metadataOf(ii.Metadata)},
		{K: "period", V: jsonobj.Obj{{K: "end", V: ii.PeriodEnd}, {K: "start", V: ii.PeriodStart}}},
		{K: "plan", V: plan},
		{K: "price", V: priceObj},
		{K: "proration", V: ii.Proration},
		{K: "quantity", V: ii.Quantity},
		{K: "subscription", V: orNull(ii.Subscription)},
	}
	if ii.SubscriptionItem != "" {
		o = append(o, jsonobj.Field{K: "subscription_item", V: ii.SubscriptionItem})
	}
	return append(o,
		jsonobj.Field{K: "tax_rates", V: []any{}},
		jsonobj.Field{K: "test_clock", V: orNull(ii.TestClock)},
		jsonobj.Field{K: "unit_amount", V: integerOrNull(ii.UnitAmount)},
		jsonobj.Field{K: "unit_amount_decimal", V: decimalOrNull(ii.UnitAmount)},
	), nil
}
