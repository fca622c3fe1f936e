package server

import (
	"regexp"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/metadata"
	"github.com/stripe-emulator/stripe-emulator/internal/search"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

const tCustomers = billing.TableCustomers

var customerResource = &resource[*billing.Customer]{
	resourceDesc: resourceDesc{
		name:  "customer",
		noun:  "customer",
		table: billing.Table(tCustomers),
		codec: shadowCodec(func(c *billing.Customer) *customerState {
			return &customerState{Customer: c, Address: stateObj(objOf(c.Address)), InvoiceSettings: stateObj(objOf(c.InvoiceSettings)), Shipping: stateObj(objOf(c.Shipping))}
		}, func(st *customerState) *billing.Customer {
			c := st.Customer
			c.Address, c.InvoiceSettings, c.Shipping = attrsOf(jsonobj.Obj(st.Address)), attrsOf(jsonobj.Obj(st.InvoiceSettings)), attrsOf(jsonobj.Obj(st.Shipping))
			return c
		}),
		expand: map[string]string{"default_source": "source", "invoice_settings.default_payment_method": "payment_method", "test_clock": "test_helpers.test_clock"},
		shape:  customerShape,
		search: &searchable{
			url:    "/v1/customers/search",
			fields: map[string]search.FieldType{"created": search.Number, "email": search.Text, "name": search.Text, "phone": search.Text},
			doc: func(r store.Record) search.Doc {
				cu := r.(*billing.Customer)
				if cu.Deleted {
					return nil
				}
				d := fieldDoc{fields: map[string]search.Value{"created": num(cu.Created)}, metadata: cu.Metadata}
				for k, v := range map[string]string{"email": cu.Email, "name": cu.Name, "phone": cu.Phone} {
					if val, ok := text(v); ok {
						d.fields[k] = val
					}
				}
				return d
			},
		},
		events: customerEvents,
		routes: customerEndpoints,
	},
	render: infallible((*renderCtx).renderCustomer),
}

// customerState is a customer in a state file.
type customerState struct {
	*billing.Customer
	Address         stateObj
	InvoiceSettings stateObj
	Shipping        stateObj
}

// customerEvents: a customer is created, updated, and deleted when it becomes
// a tombstone.
func customerEvents(m *mutation) (string, store.Record, store.Record) {
	switch {
	case m.before == nil:
		return "customer.created", m.after, nil
	case m.after.(*billing.Customer).Deleted && !m.before.(*billing.Customer).Deleted:
		return "customer.deleted", m.before, nil
	}
	return "customer.updated", m.after, m.before
}

// customerParams are the parameters both create and update take.
var customerParams = []string{"address", "balance", "business_name", "description", "email", "individual_name", "invoice_prefix", "invoice_settings",
	"metadata", "name", "next_invoice_sequence", "phone", "preferred_locales", "shipping", "tax", "tax_exempt", "validate"}

// customerNames are the names 2025-09-30.clover adds.
var customerNames = []string{"business_name", "individual_name"}

func customerEndpoints() []endpoint {
	return []endpoint{
		{route: "GET /v1/customers/search", op: "GetCustomersSearch", mode: txRead, h: searchCustomers},
		{route: "POST /v1/customers", op: "PostCustomers", mode: txWrite, h: createCustomer, accepts: append([]string{"payment_method", "test_clock"}, customerParams...),
			newer: customerNames},
		{route: "GET /v1/customers", op: "GetCustomers", mode: txRead, h: listCustomers},
		{route: "GET /v1/customers/{customer}", op: "GetCustomersCustomer", mode: txRead, h: retrieveCustomer},
		{route: "POST /v1/customers/{customer}", op: "PostCustomersCustomer", mode: txWrite, h: updateCustomer, accepts: customerParams, newer: customerNames},
		{route: "DELETE /v1/customers/{customer}", op: "DeleteCustomersCustomer", mode: txWrite, h: deleteCustomer},
	}
}

var invoicePrefixRE = regexp.MustCompile(`^[A-Z0-9]{3,12}$`)

func createCustomer(c *call) (jsonobj.Obj, error) {
	cu := &billing.Customer{
		Meta:                c.newMeta("cus"),
		InvoicePrefix:       store.RandomString(8),
		NextInvoiceSequence: 1,
		TaxExempt:           "none",
		Metadata:            map[string]string{},
	}
	cu.InvoicePrefix = upperAlnum(cu.InvoicePrefix)
	if id, ok := c.params.String("test_clock"); ok {
		tc, err := c.getTestClock(id, "test_clock")
		if err != nil {
			return nil, err
		}
		cu.TestClock, cu.Created = tc.ID, tc.FrozenTime // a customer on a clock lives on its time
	}
	if err := applyCustomerParams(cu, c.params); err != nil {
		return nil, err
	}
	if err := c.tx.Put(tCustomers, cu); err != nil {
		return nil, err
	}
	cu, err := c.customerPayments(cu, 0, true)
	if err != nil {
		return nil, err
	}
	return c.answer(cu, c.renderCustomer(cu)), nil
}

func upperAlnum(s string) string {
	b := []byte(s)
	for i, ch := range b {
		if ch >= 'a' && ch <= 'z' {
			b[i] = ch - 'a' + 'A'
		}
	}
	return string(b)
}

// applyCustomerParams sets on cu (a fresh or cloned record) what create and update share.
func applyCustomerParams(cu *billing.Customer, p *form.Params) error {
	for _, f := range []struct {
		key string
		dst *string
	}{{"description", &cu.Description}, {"email", &cu.Email}, {"name", &cu.Name}, {"phone", &cu.Phone},
		{"business_name", &cu.BusinessName}, {"individual_name", &cu.IndividualName}} {
		if p.IsEmpty(f.key) {
			*f.dst = ""
		} else if v, ok := p.String(f.key); ok {
			if err := maxLen(p, f.key, v, maxLenFor[f.key]); err != nil {
				return err
			}
			*f.dst = v
		}
	}
	if b, ok := p.Int("balance"); ok {
		if err := billing.CheckAmount("balance", b); err != nil {
			return err
		}
		cu.Balance = b
	}
	if v, ok := p.String("invoice_prefix"); ok {
		if !invoicePrefixRE.MatchString(v) {
			return apierr.Invalid("invoice_prefix", "Invalid invoice_prefix: must be 3 to 12 uppercase letters or numbers.")
		}
		cu.InvoicePrefix = v
	}
	if n, ok := p.Int("next_invoice_sequence"); ok {
		if n < 1 {
			return apierr.Invalid("next_invoice_sequence", "This value must be greater than or equal to 1.")
		}
		cu.NextInvoiceSequence = n
	}
	if p.IsEmpty("address") {
		cu.Address = billing.Attrs{}
	} else if a := p.Object("address"); a != nil {
		cu.Address = attrsOf(mergeObject(objOf(cu.Address), a, addressFields, nil))
	}
	if p.IsEmpty("shipping") {
		cu.Shipping = billing.Attrs{}
	} else if sh := p.Object("shipping"); sh != nil {
		cu.Shipping = attrsOf(subObject(sh, []string{"address", "name", "phone"}, map[string]func(*form.Params) jsonobj.Obj{
			"address": func(a *form.Params) jsonobj.Obj { return subObject(a, addressFields, nil) },
		}))
	}
	if is := p.Object("invoice_settings"); is != nil {
		cur := objOf(cu.InvoiceSettings)
		if cur == nil {
			cur = defaultInvoiceSettings()
		}
		// default_payment_method is the customer's DefaultPaymentMethod (customerPayments).
		cu.InvoiceSettings = attrsOf(mergeObject(cur, is, []string{"custom_fields", "footer", "rendering_options"},
			map[string]func(*form.Params) jsonobj.Obj{
				"rendering_options": func(r *form.Params) jsonobj.Obj {
					return subObject(r, []string{"amount_tax_display", "template"}, nil)
				},
			}))
		if fields := is.Array("custom_fields"); len(fields) > 4 {
			return apierr.Invalid(is.Path("custom_fields"), "Invoice custom fields can have at most 4 entries, but you've set %d.", len(fields))
		}
	}
	if p.Has("preferred_locales") {
		cu.PreferredLocales = p.Strings("preferred_locales")
	}
	if p.IsEmpty("tax_exempt") {
		cu.TaxExempt = "none"
	} else if v, ok := p.String("tax_exempt"); ok {
		cu.TaxExempt = v
	}
	md, err := metadata.Apply(cu.Metadata, decodeMetadata(p, "metadata"))
	if err != nil {
		return err
	}
	cu.Metadata = md
	return nil
}

func defaultInvoiceSettings() jsonobj.Obj {
	return jsonobj.Obj{{K: "custom_fields", V: nil}, {K: "default_payment_method", V: nil}, {K: "footer", V: nil}, {K: "rendering_options", V: nil}}
}

// maxLenFor holds Stripe's length limits of free-text fields.
var maxLenFor = map[string]int{"description": 350, "email": 512, "name": 256, "phone": 20, "business_name": 150, "individual_name": 150}

// getCustomer loads a customer; deleted ones count as missing unless allowDeleted.
func (c *call) getCustomer(id, param string, allowDeleted bool) (*billing.Customer, error) {
	return billing.GetCustomer(c.tx, id, param, allowDeleted)
}

func retrieveCustomer(c *call) (jsonobj.Obj, error) {
	cu, err := c.getCustomer(c.pathID(), "id", true)
	if err != nil {
		return nil, err
	}
	return c.renderCustomer(cu), nil
}

func updateCustomer(c *call) (jsonobj.Obj, error) {
	cur, err := c.getCustomer(c.pathID(), "id", false)
	if err != nil {
		return nil, err
	}
	cu := cur.Clone()
	if err := applyCustomerParams(cu, c.params); err != nil {
		return nil, err
	}
	if err := c.tx.Put(tCustomers, cu); err != nil {
		return nil, err
	}
	if cu, err = c.customerPayments(cu, cur.Balance, false); err != nil {
		return nil, err
	}
	return c.answer(cu, c.renderCustomer(cu)), nil
}

func deleteCustomer(c *call) (jsonobj.Obj, error) {
	gone, err := billing.DeleteCustomer(&c.u, c.pathID())
	if err != nil {
		return nil, err
	}
	return c.renderCustomer(gone), nil
}

// listCustomers answers GET /v1/customers. Customers on a test clock are
// listed only with test_clock: "The response will not include customers with
// test clocks if this parameter is not set."
func listCustomers(c *call) (jsonobj.Obj, error) {
	email, byEmail := c.params.String("email")
	clock, _ := c.params.String("test_clock")
	match := func(r store.Record) bool {
		cu := r.(*billing.Customer)
		return !cu.Deleted && (!byEmail || cu.Email == email) && cu.TestClock == clock
	}
	return c.list(tCustomers, "customer", "/v1/customers", match, func(r store.Record) (jsonobj.Obj, error) {
		return c.renderCustomer(r.(*billing.Customer)), nil
	})
}

func (rc *renderCtx) renderCustomer(cu *billing.Customer) jsonobj.Obj {
	if cu.Deleted {
		return jsonobj.Obj{{K: "id", V: cu.ID}, {K: "object", V: "customer"}, {K: "deleted", V: true}}
	}
	return customerShape.render(rc, cu)
}

// customerField is a field of the customer object.
type customerField = field[*billing.Customer]

// customerShape is the customer at every API version.
var customerShape = newShape("customer", []customerField{
	{name: "id", get: func(_ *renderCtx, cu *billing.Customer) any { return cu.ID }},
	{name: "object", fixed: always("customer")},
	{name: "address", get: func(_ *renderCtx, cu *billing.Customer) any { return nilObj(objOf(cu.Address)) }},
	{name: "balance", get: func(_ *renderCtx, cu *billing.Customer) any { return cu.Balance }},
	{name: "business_name", get: func(_ *renderCtx, cu *billing.Customer) any { return orAbsent(cu.BusinessName) }},
	{name: "created", get: func(_ *renderCtx, cu *billing.Customer) any { return cu.Created }},
	{name: "currency", get: func(_ *renderCtx, cu *billing.Customer) any { return orNull(cu.Currency) }},
	{name: "customer_account", fixed: fixedAbsent},
	{name: "default_source", fixed: fixedNull},
	{name: "delinquent", get: func(_ *renderCtx, cu *billing.Customer) any { return cu.Delinquent }},
	{name: "description", get: func(_ *renderCtx, cu *billing.Customer) any { return orNull(cu.Description) }},
	{name: "discount", fixed: fixedNull},
	{name: "email", get: func(_ *renderCtx, cu *billing.Customer) any { return orNull(cu.Email) }},
	{name: "individual_name", get: func(_ *renderCtx, cu *billing.Customer) any { return orAbsent(cu.IndividualName) }},
	{name: "invoice_prefix", get: func(_ *renderCtx, cu *billing.Customer) any { return cu.InvoicePrefix }},
	{name: "invoice_settings", get: func(_ *renderCtx, cu *billing.Customer) any {
		is := objOf(cu.InvoiceSettings)
		if is == nil {
			is = defaultInvoiceSettings()
		}
		return withDefaultPaymentMethod(is, cu.DefaultPaymentMethod)
	}},
	{name: "livemode", fixed: fixedFalse},
	{name: "metadata", get: func(_ *renderCtx, cu *billing.Customer) any { return metadataOf(cu.Metadata) }},
	{name: "name", get: func(_ *renderCtx, cu *billing.Customer) any { return orNull(cu.Name) }},
	{name: "next_invoice_sequence", get: func(_ *renderCtx, cu *billing.Customer) any { return cu.NextInvoiceSequence }},
	{name: "phone", get: func(_ *renderCtx, cu *billing.Customer) any { return orNull(cu.Phone) }},
	{name: "preferred_locales", get: func(_ *renderCtx, cu *billing.Customer) any {
		if cu.PreferredLocales == nil {
			return []string{}
		}
		return cu.PreferredLocales
	}},
	{name: "shipping", get: func(_ *renderCtx, cu *billing.Customer) any { return nilObj(objOf(cu.Shipping)) }},
	{name: "tax_exempt", get: func(_ *renderCtx, cu *billing.Customer) any { return cu.TaxExempt }},
	{name: "test_clock", get: func(_ *renderCtx, cu *billing.Customer) any { return orNull(cu.TestClock) }},
})
