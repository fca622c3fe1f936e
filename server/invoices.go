package server

import (
	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/metadata"
	"github.com/stripe-emulator/stripe-emulator/internal/search"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

func invoiceEndpoints() []endpoint {
	return []endpoint{
		{route: "GET /v1/invoices/search", op: "GetInvoicesSearch", mode: txRead, h: searchInvoices},
		{route: "POST /v1/invoices", op: "PostInvoices", mode: txWrite, h: createInvoice,
			accepts: []string{"auto_advance", "collection_method", "currency", "customer", "days_until_due", "description", "due_date", "metadata", "pending_invoice_items_behavior", "subscription"}},
		{route: "GET /v1/invoices", op: "GetInvoices", mode: txRead, h: listInvoices},
		{route: "GET /v1/invoices/{invoice}", op: "GetInvoicesInvoice", mode: txRead, h: retrieveInvoice},
		{route: "POST /v1/invoices/{invoice}", op: "PostInvoicesInvoice", mode: txWrite, h: updateInvoice,
			accepts: []string{"auto_advance", "collection_method", "days_until_due", "description", "due_date", "metadata"}},
		{route: "DELETE /v1/invoices/{invoice}", op: "DeleteInvoicesInvoice", mode: txWrite, h: deleteInvoice},
		{route: "GET /v1/invoices/{invoice}/lines", op: "GetInvoicesInvoiceLines", mode: txRead, h: listInvoiceLines},
		{route: "POST /v1/invoices/{invoice}/finalize", op: "PostInvoicesInvoiceFinalize", mode: txWrite, h: finalizeInvoiceAPI},
		{route: "POST /v1/invoices/{invoice}/pay", op: "PostInvoicesInvoicePay", mode: txWrite, h: payInvoice, accepts: []string{"forgive", "off_session", "paid_out_of_band"}},
		{route: "POST /v1/invoices/{invoice}/void", op: "PostInvoicesInvoiceVoid", mode: txWrite, h: voidInvoice},
		{route: "POST /v1/invoices/{invoice}/mark_uncollectible", op: "PostInvoicesInvoiceMarkUncollectible", mode: txWrite, h: markUncollectible},
		// Not in the 2024-06-20 catalogue (stripe-go v79 has both).
		{route: "POST /v1/invoices/{invoice}/send", schema: expandOnly, mode: txWrite, h: sendInvoice},
		{route: "POST /v1/invoices/{invoice}/lines/{line_item_id}", schema: invoiceLineSchema, mode: txWrite, h: updateInvoiceLine,
			accepts: invoiceLineParams},
	}
}

func (c *call) getInvoice(id, param string) (*billing.Invoice, error) {
	return getRecord[*billing.Invoice](c.tx, tInvoices, "invoice", id, param)
}

const tInvoices = billing.TableInvoices

// invoiceResource: its events follow its status (invoiceEvents).
var invoiceResource = &resource[*billing.Invoice]{
	resourceDesc: resourceDesc{
		name:  "invoice",
		noun:  "invoice",
		table: billing.Table(tInvoices),
		codec: shadowCodec(func(inv *billing.Invoice) *invoiceState {
			return &invoiceState{Invoice: inv, CustomerAddress: stateObj(objOf(inv.CustomerAddress)), CustomerShipping: stateObj(objOf(inv.CustomerShipping))}
		}, func(st *invoiceState) *billing.Invoice {
			inv := st.Invoice
			inv.CustomerAddress, inv.CustomerShipping = attrsOf(jsonobj.Obj(st.CustomerAddress)), attrsOf(jsonobj.Obj(st.CustomerShipping))
			return inv
		}),
		expand: map[string]string{"application": "application", "charge": "charge", "customer": "customer",
			"default_payment_method": "payment_method", "default_source": "source", "latest_revision": "invoice",
			"on_behalf_of": "account", "payment_intent": "payment_intent", "quote": "quote", "subscription": "subscription",
			"test_clock": "test_helpers.test_clock", "from_invoice.invoice": "invoice", "issuer.account": "account",
			"automatic_tax.liability.account": "account", "transfer_data.destination": "account"},
		search: &searchable{
			url: "/v1/invoices/search",
			fields: map[string]search.FieldType{"created": search.Number, "currency": search.Token, "customer": search.Token,
				"number": search.Token, "receipt_number": search.Token, "status": search.Token, "subscription": search.Token, "total": search.Number},
			doc: func(r store.Record) search.Doc {
				inv := r.(*billing.Invoice)
				d := fieldDoc{fields: map[string]search.Value{"created": num(inv.Created), "currency": {Str: inv.Currency},
					"customer": {Str: inv.Customer}, "status": {Str: string(inv.Status)}, "total": num(inv.Subtotal())}, metadata: inv.Metadata}
				if v, ok := text(inv.Number); ok {
					d.fields["number"] = v
				}
				if v, ok := text(inv.Subscription); ok {
					d.fields["subscription"] = v
				}
				return d
			},
		},
		routes: invoiceEndpoints,
	},
	render: (*renderCtx).renderInvoice,
}

// invoiceState is an invoice in a state file.
type invoiceState struct {
	*billing.Invoice
	CustomerAddress  stateObj
	CustomerShipping stateObj
}

// createInvoice creates a draft invoice for a customer (a one-off invoice),
// with their pending invoice items when pending_invoice_items_behavior=include.
func createInvoice(c *call) (jsonobj.Obj, error) {
	p := c.params
	customerID, ok := p.String("customer")
	if !ok {
		return nil, apierr.ParameterMissing("customer")
	}
	cu, err := c.getCustomer(customerID, "customer", false)
	if err != nil {
		return nil, err
	}
	now := c.u.CustomerNow(cu.ID)
	inv := &billing.Invoice{Meta: c.newMetaAt("in", now), Customer: cu.ID, Status: billing.InvoiceDraft, BillingReason: "manual",
		CollectionMethod: p.StringOr("collection_method", "charge_automatically"), Currency: cu.Currency, PeriodStart: now, PeriodEnd: now,
		StartingBalance: cu.Balance, TestClock: cu.TestClock, Metadata: map[string]string{}}
	if v, ok := p.String("currency"); ok {
		inv.Currency = v
	}
	if subID, ok := p.String("subscription"); ok {
		sub, err := c.getSubscription(subID, "subscription")
		if err != nil {
			return nil, err
		}
		if sub.Customer != cu.ID {
			return nil, apierr.Invalid("subscription", "The subscription %s belongs to another customer.", sub.ID)
		}
		inv.Subscription, inv.Currency, inv.SubscriptionMetadata = sub.ID, sub.Currency, sub.Metadata
	}
	if err := applyInvoiceSettings(inv, c, now); err != nil {
		return nil, err
	}
	billing.SnapshotCustomer(inv, cu)
	if p.StringOr("pending_invoice_items_behavior", "exclude") == "include" {
		pending, err := c.pendingItems(cu.ID)
		if err != nil {
			return nil, err
		}
		if inv.Subscription != "" {
			pending = keepItemsFor(pending, inv.Subscription)
		}
		if err := c.takeItems(inv, pending); err != nil {
			return nil, err
		}
		inv.Lines = billing.StoredItemLines(pending)
		if inv.Currency == "" && len(pending) > 0 {
			inv.Currency = pending[0].Currency
		}
	}
	if inv.Currency == "" {
		inv.Currency = "usd"
	}
	if err := c.tx.Put(tInvoices, inv); err != nil {
		return nil, err
	}
	return c.renderInvoice(inv)
}

// applyInvoiceSettings sets what create and update (of a draft) share.
func applyInvoiceSettings(inv *billing.Invoice, c *call, now int64) error {
	p := c.params
	if v, ok := p.String("collection_method"); ok {
		inv.CollectionMethod = v
	}
	if v, ok := p.Bool("auto_advance"); ok {
		inv.AutoAdvance = v
		inv.FinalizesAt = 0
		if v {
			inv.FinalizesAt = max(now, inv.Created) + billing.FinalizationGrace
		}
	}
	days, hasDays := p.Int("days_until_due")
	due, hasDue := p.Int("due_date")
	switch {
	case hasDays && hasDue:
		return apierr.Exclusive("days_until_due", "due_date")
	case (hasDays || hasDue) && inv.CollectionMethod != "send_invoice":
		return apierr.Invalid("days_until_due", "days_until_due and due_date can only be set when collection_method is send_invoice.")
	case hasDays:
		if days < 0 || days > 730 {
			return apierr.Invalid("days_until_due", "Invalid days_until_due: must be between 0 and 730.")
		}
		inv.DueDate = inv.Created + days*86400
	case hasDue:
		if due <= now {
			return apierr.Invalid("due_date", "Invalid timestamp: due_date must be in the future.")
		}
		inv.DueDate = due
	case inv.CollectionMethod == "send_invoice" && inv.DueDate == 0:
		return apierr.InvalidRequest("parameter_missing", "days_until_due", "Missing required param: days_until_due. An invoice sent to the customer (send_invoice) needs days_until_due or due_date.")
	}
	if inv.CollectionMethod == "charge_automatically" {
		inv.DueDate = 0
	}
	if v, ok := p.String("description"); ok {
		inv.Description = v
	}
	md, err := metadata.Apply(inv.Metadata, decodeMetadata(p, "metadata"))
	if err != nil {
		return err
	}
	inv.Metadata = md
	return nil
}

func retrieveInvoice(c *call) (jsonobj.Obj, error) {
	inv, err := c.getInvoice(c.pathID(), "id")
	if err != nil {
		return nil, err
	}
	return c.renderInvoice(inv)
}

// updateInvoice changes metadata and description; a draft also its collection.
func updateInvoice(c *call) (jsonobj.Obj, error) {
	p := c.params
	cur, err := c.getInvoice(c.pathID(), "id")
	if err != nil {
		return nil, err
	}
	inv := cur.Clone()
	if cur.Status != billing.InvoiceDraft {
		for _, k := range []string{"auto_advance", "collection_method", "days_until_due", "due_date"} {
			if p.Has(k) && !(k == "auto_advance" && cur.Status == billing.InvoiceOpen) {
				return nil, apierr.Invalid(k, "%s can only be changed on a draft invoice; %s is %s.", k, cur.ID, cur.Status)
			}
		}
	}
	if err := applyInvoiceSettings(inv, c, c.u.CustomerNow(inv.Customer)); err != nil {
		return nil, err
	}
	if err := c.tx.Put(tInvoices, inv); err != nil {
		return nil, err
	}
	return c.renderInvoice(inv)
}

// deleteInvoice deletes a draft; its invoice items become pending again.
func deleteInvoice(c *call) (jsonobj.Obj, error) {
	inv, err := c.getInvoice(c.pathID(), "id")
	if err != nil {
		return nil, err
	}
	if inv.Status != billing.InvoiceDraft {
		return nil, apierr.InvalidRequest("", "", "You can only delete draft invoices; %s is %s. Void it instead.", inv.ID, inv.Status)
	}
	if inv.Subscription != "" && inv.BillingReason != "manual" {
		return nil, apierr.InvalidRequest("", "", "You can't delete invoices created by subscriptions.")
	}
	items, err := c.tx.Find(tInvoiceItems, "invoice", inv.ID)
	if err != nil {
		return nil, err
	}
	for _, r := range items {
		n := r.(*billing.InvoiceItem).Clone()
		n.Invoice = ""
		if err := c.tx.Put(tInvoiceItems, n); err != nil {
			return nil, err
		}
	}
	if err := c.tx.Remove(tInvoices, inv); err != nil {
		return nil, err
	}
	return jsonobj.Obj{{K: "id", V: inv.ID}, {K: "object", V: "invoice"}, {K: "deleted", V: true}}, nil
}

func finalizeInvoiceAPI(c *call) (jsonobj.Obj, error) {
	cur, err := c.getInvoice(c.pathID(), "id")
	if err != nil {
		return nil, err
	}
	if cur.Status != billing.InvoiceDraft {
		return nil, apierr.State("invoice_not_editable", "This invoice is already finalized, you can't re-finalize a non-draft invoice.")
	}
	inv := cur
	if v, ok := c.params.Bool("auto_advance"); ok {
		inv = cur.Clone()
		inv.AutoAdvance = v
	}
	done, err := c.finalizeInvoice(inv, c.u.CustomerNow(inv.Customer))
	if err != nil {
		return nil, err
	}
	return c.renderInvoice(done)
}

// payInvoice pays an open invoice: as if by the customer's card (the emulator
// holds none), or out of band with paid_out_of_band.
func payInvoice(c *call) (jsonobj.Obj, error) {
	cur, err := c.getInvoice(c.pathID(), "id")
	if err != nil {
		return nil, err
	}
	switch cur.Status {
	case billing.InvoicePaid:
		return nil, apierr.State("invoice_already_paid", "Invoice is already paid")
	case billing.InvoiceVoid:
		return nil, apierr.State("invoice_not_open", "Voided invoices cannot be paid.")
	case billing.InvoiceDraft:
		return nil, apierr.State("invoice_not_open", "This invoice is a draft: finalize it before paying it.")
	}
	now := c.u.CustomerNow(cur.Customer)
	inv := cur.Clone()
	if oob, _ := c.params.Bool("paid_out_of_band"); oob {
		inv.PaidOutOfBand = true
		inv.MarkPaid(now, 0)
	} else {
		inv.Attempted, inv.AttemptCount = true, inv.AttemptCount+1
		inv.MarkPaid(now, inv.AmountDue())
	}
	if err := c.tx.Put(tInvoices, inv); err != nil {
		return nil, err
	}
	if err := c.afterPaid(inv); err != nil {
		return nil, err
	}
	return c.renderInvoice(inv)
}

// sendInvoice answers POST /v1/invoices/{invoice}/send: an invoice whose
// collection method is send_invoice is sent to its customer. The emulator
// sends no email (nor does Stripe's test mode, "despite sending an
// invoice.sent event"), and sends invoice.sent. A draft is finalized first
// ("Stripe automatically finalizes drafts before sending"); an invoice
// already paid can be sent ("there will be no reference to the payment in the
// email"); a void one cannot.
func sendInvoice(c *call) (jsonobj.Obj, error) {
	cur, err := c.getInvoice(c.pathID(), "id")
	if err != nil {
		return nil, err
	}
	switch {
	case cur.CollectionMethod != "send_invoice":
		return nil, apierr.State("", "You can only manually send an invoice if its collection method is 'send_invoice'; %s is charge_automatically.", cur.ID)
	case cur.Status == billing.InvoiceVoid:
		return nil, apierr.State("invoice_not_open", "You can't send a voided invoice; %s is void.", cur.ID)
	}
	now := c.u.CustomerNow(cur.Customer)
	inv := cur
	if cur.Status == billing.InvoiceDraft {
		if inv, err = c.finalizeInvoice(cur, now); err != nil {
			return nil, err
		}
	}
	c.emitFor("invoice.sent", now, inv)
	obj, err := c.renderInvoice(inv)
	if err != nil {
		return nil, err
	}
	return c.answer(inv, obj), nil
}

// voidInvoice voids an open or uncollectible invoice; the customer balance it
// used is given back.
func voidInvoice(c *call) (jsonobj.Obj, error) {
	cur, err := c.getInvoice(c.pathID(), "id")
	if err != nil {
		return nil, err
	}
	if cur.Status != billing.InvoiceOpen && cur.Status != billing.InvoiceUncollectible {
		return nil, apierr.State("invoice_not_open", "You can only void an open or uncollectible invoice; %s is %s.", cur.ID, cur.Status)
	}
	inv := cur.Clone()
	inv.Status, inv.VoidedAt = billing.InvoiceVoid, c.u.CustomerNow(cur.Customer)
	if inv.EndingBalance != nil {
		if used := inv.StartingBalance - *inv.EndingBalance; used != 0 {
			cu, err := c.getCustomer(inv.Customer, "customer", true)
			if err == nil && !cu.Deleted {
				n := cu.Clone()
				n.Balance += used
				if err := c.tx.Put(tCustomers, n); err != nil {
					return nil, err
				}
			}
		}
	}
	if err := c.tx.Put(tInvoices, inv); err != nil {
		return nil, err
	}
	return c.renderInvoice(inv)
}

func markUncollectible(c *call) (jsonobj.Obj, error) {
	cur, err := c.getInvoice(c.pathID(), "id")
	if err != nil {
		return nil, err
	}
	if cur.Status != billing.InvoiceOpen {
		return nil, apierr.State("invoice_not_open", "You can only mark an open invoice uncollectible; %s is %s.", cur.ID, cur.Status)
	}
	inv := cur.Clone()
	inv.Status, inv.UncollectibleAt = billing.InvoiceUncollectible, c.u.CustomerNow(cur.Customer)
	if err := c.tx.Put(tInvoices, inv); err != nil {
		return nil, err
	}
	return c.renderInvoice(inv)
}

func listInvoices(c *call) (jsonobj.Obj, error) {
	p := c.params
	customerID, byCustomer := p.String("customer")
	subID, bySub := p.String("subscription")
	status, byStatus := p.String("status")
	method, byMethod := p.String("collection_method")
	dueFilter := rangeFilter(p, "due_date")
	match := func(r store.Record) bool {
		inv := r.(*billing.Invoice)
		return (!byCustomer || inv.Customer == customerID) && (!bySub || inv.Subscription == subID) &&
			(!byStatus || inv.Status == billing.InvoiceStatus(status)) && (!byMethod || inv.CollectionMethod == method) &&
			(dueFilter == nil || inv.DueDate != 0 && dueFilter(inv.DueDate))
	}
	return c.list(tInvoices, "invoice", "/v1/invoices", match, func(r store.Record) (jsonobj.Obj, error) {
		return c.renderInvoice(r.(*billing.Invoice))
	})
}

func listInvoiceLines(c *call) (jsonobj.Obj, error) {
	inv, err := c.getInvoice(c.pathID(), "id")
	if err != nil {
		return nil, err
	}
	view := *inv
	view.LinesURL = "/v1/invoices/" + inv.ID + "/lines"
	return c.pageLines(&view)
}

func searchInvoices(c *call) (jsonobj.Obj, error) {
	return c.search("invoice")
}
