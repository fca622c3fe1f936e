package server

import (
	"maps"

	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/billing/cards"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/metadata"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// Charges (ref §2.5): what PaymentIntents' attempts made, succeeded or
// failed. They are read, and their description and metadata updated;
// creating, capturing and searching them directly are not modelled.

const tCharges = billing.TableCharges

var chargeResource = &resource[*billing.Charge]{
	resourceDesc: resourceDesc{
		name:  "charge",
		noun:  "charge",
		table: billing.Table(tCharges),
		codec: plainCodec[billing.Charge](),
		expand: map[string]string{"customer": "customer", "invoice": "invoice", "payment_intent": "payment_intent",
			"balance_transaction": "balance_transaction", "failure_balance_transaction": "balance_transaction", "application": "application",
			"application_fee": "application_fee", "on_behalf_of": "account", "review": "review", "source_transfer": "transfer",
			"transfer": "transfer", "transfer_data.destination": "account"},
		events: chargeEvents,
		routes: chargeEndpoints,
		shape:  chargeShape,
	},
	render: infallible((*renderCtx).renderCharge),
}

// chargeEvents: succeeded or failed as it is made; captured; refunded as
// refunds take more of it; updated by the update endpoint.
func chargeEvents(m *mutation) (string, store.Record, store.Record) {
	after, _ := m.after.(*billing.Charge)
	before, _ := m.before.(*billing.Charge)
	switch {
	case after == nil:
		return "", nil, nil
	case before == nil && after.Status == billing.ChargeSucceeded:
		return "charge.succeeded", after, nil
	case before == nil:
		return "charge.failed", after, nil
	case after.Captured && !before.Captured:
		return "charge.captured", after, nil
	case after.AmountRefunded > before.AmountRefunded:
		return "charge.refunded", after, before
	case after.Description != before.Description || !maps.Equal(after.Metadata, before.Metadata):
		return "charge.updated", after, before
	}
	return "", nil, nil
}

func chargeEndpoints() []endpoint {
	return []endpoint{
		{route: "GET /v1/charges/{charge}", op: "GetChargesCharge", mode: txRead, h: retrieveCharge},
		{route: "POST /v1/charges/{charge}", op: "PostChargesCharge", mode: txWrite, h: updateCharge, accepts: []string{"description", "metadata"}},
		{route: "GET /v1/charges", op: "GetCharges", mode: txRead, h: listCharges,
			accepts: []string{"created", "customer", "ending_before", "limit", "payment_intent", "starting_after"}},
	}
}

func (c *call) charge() (*billing.Charge, error) {
	return getRecord[*billing.Charge](c.tx, tCharges, "charge", c.vars["charge"], "id")
}

func retrieveCharge(c *call) (jsonobj.Obj, error) {
	ch, err := c.charge()
	if err != nil {
		return nil, err
	}
	return c.renderCharge(ch), nil
}

// updateCharge is POST /v1/charges/{id}: its description and metadata.
func updateCharge(c *call) (jsonobj.Obj, error) {
	cur, err := c.charge()
	if err != nil {
		return nil, err
	}
	p := c.params
	ch := cur.Clone()
	if v, ok := p.String("description"); ok {
		if err := maxLen(p, "description", v, maxLenFor["description"]); err != nil {
			return nil, err
		}
		ch.Description = v
	} else if p.IsEmpty("description") {
		ch.Description = ""
	}
	if ch.Metadata, err = metadata.Apply(ch.Metadata, decodeMetadata(p, "metadata")); err != nil {
		return nil, err
	}
	if err := c.tx.Put(tCharges, ch); err != nil {
		return nil, err
	}
	return c.answer(ch, c.renderCharge(ch)), nil
}

func listCharges(c *call) (jsonobj.Obj, error) {
	customerID, byCustomer := c.params.String("customer")
	piID, byPI := c.params.String("payment_intent")
	return c.list(tCharges, "charge", "/v1/charges", func(r store.Record) bool {
		ch := r.(*billing.Charge)
		return (!byCustomer || ch.Customer == customerID) && (!byPI || ch.PaymentIntent == piID)
	}, func(r store.Record) (jsonobj.Obj, error) { return c.renderCharge(r.(*billing.Charge)), nil })
}

func (rc *renderCtx) renderCharge(ch *billing.Charge) jsonobj.Obj {
	return chargeShape.render(rc, ch)
}

// chargeField is a field of the charge object.
type chargeField = field[*billing.Charge]

// chGet is a getter of the charge itself.
func chGet(f func(ch *billing.Charge) any) func(*renderCtx, *billing.Charge) any {
	return func(_ *renderCtx, ch *billing.Charge) any { return f(ch) }
}

// chCard is a getter of the charged test card.
func chCard(f func(c cards.Card) any) func(*renderCtx, *billing.Charge) any {
	return func(_ *renderCtx, ch *billing.Charge) any { return f(ch.TestCard()) }
}

// chargeShape is the charge at every API version.
var chargeShape = newShape("charge", []chargeField{
	{name: "id", get: chGet(func(ch *billing.Charge) any { return ch.ID })},
	{name: "object", fixed: always("charge")},
	{name: "amount", get: chGet(func(ch *billing.Charge) any { return ch.Amount })},
	{name: "amount_captured", get: chGet(func(ch *billing.Charge) any { return ch.AmountCaptured })},
	{name: "amount_refunded", get: chGet(func(ch *billing.Charge) any { return ch.AmountRefunded })},
	{name: "application", fixed: fixedNull},
	{name: "application_fee", fixed: fixedNull},
	{name: "application_fee_amount", fixed: fixedNull},
	{name: "balance_transaction", fixed: fixedNull},
	{name: "billing_details", sub: billingDetailsFields(func(ch *billing.Charge) billing.BillingDetails { return ch.BillingDetails })},
	{name: "calculated_statement_descriptor", fixed: always("STRIPE-EMULATOR")},
	{name: "captured", get: chGet(func(ch *billing.Charge) any { return ch.Captured })},
	{name: "created", get: chGet(func(ch *billing.Charge) any { return ch.Created })},
	{name: "currency", get: chGet(func(ch *billing.Charge) any { return ch.Currency })},
	{name: "customer", get: chGet(func(ch *billing.Charge) any { return orNull(ch.Customer) })},
	{name: "description", get: chGet(func(ch *billing.Charge) any { return orNull(ch.Description) })},
	{name: "disputed", fixed: fixedFalse},
	{name: "failure_balance_transaction", fixed: fixedNull},
	{name: "failure_code", get: chGet(func(ch *billing.Charge) any {
		if ch.Failure == nil {
			return nil
		}
		return ch.Failure.Code
	})},
	{name: "failure_message", get: chGet(func(ch *billing.Charge) any {
		if ch.Failure == nil {
			return nil
		}
		return ch.Failure.Message
	})},
	{name: "fraud_details", fixed: always(jsonobj.Obj{})},
	{name: "invoice", get: chGet(func(ch *billing.Charge) any { return orNull(ch.Invoice) })},
	{name: "livemode", fixed: fixedFalse},
	{name: "metadata", get: chGet(func(ch *billing.Charge) any { return metadataOf(ch.Metadata) })},
	{name: "on_behalf_of", fixed: fixedNull},
	{name: "outcome", sub: []chargeField{
		{name: "advice_code", fixed: fixedNull},
		{name: "network_advice_code", fixed: fixedNull},
		{name: "network_decline_code", fixed: fixedNull},
		{name: "network_status", get: chGet(func(ch *billing.Charge) any { return string(ch.Outcome.NetworkStatus) })},
		{name: "reason", get: chGet(func(ch *billing.Charge) any { return orNull(ch.Outcome.Reason) })},
		{name: "risk_level", get: chGet(func(ch *billing.Charge) any { return string(ch.Outcome.RiskLevel) })},
		{name: "risk_score", get: chGet(func(ch *billing.Charge) any { return ch.Outcome.RiskScore(ch.Fingerprint) })},
		{name: "seller_message", get: chGet(func(ch *billing.Charge) any { return ch.Outcome.SellerMessage })},
		{name: "type", get: chGet(func(ch *billing.Charge) any { return string(ch.Outcome.Type) })},
	}},
	{name: "paid", get: chGet(func(ch *billing.Charge) any { return ch.Status == billing.ChargeSucceeded })},
	{name: "payment_intent", get: chGet(func(ch *billing.Charge) any { return orNull(ch.PaymentIntent) })},
	{name: "payment_method", get: chGet(func(ch *billing.Charge) any { return ch.PaymentMethod })},
	{name: "payment_method_details", sub: []chargeField{
		{name: "card", sub: []chargeField{
			{name: "amount_authorized", get: chGet(func(ch *billing.Charge) any {
				if ch.Status != billing.ChargeSucceeded {
					return nil
				}
				return ch.Amount
			})},
			{name: "authorization_code", fixed: fixedNull},
			{name: "brand", get: chCard(func(c cards.Card) any { return c.Brand })},
			{name: "checks", get: chGet(func(ch *billing.Charge) any {
				return jsonobj.Obj{
					{K: "address_line1_check", V: renderCheck(ch.Checks.AddressLine1)},
					{K: "address_postal_code_check", V: renderCheck(ch.Checks.AddressPostalCode)},
					{K: "cvc_check", V: renderCheck(ch.Checks.CVC)},
				}
			})},
			{name: "country", get: chCard(func(c cards.Card) any { return c.Country })},
			{name: "exp_month", get: chGet(func(ch *billing.Charge) any { return ch.ExpMonth })},
			{name: "exp_year", get: chGet(func(ch *billing.Charge) any { return ch.ExpYear })},
			{name: "extended_authorization", fixed: always(jsonobj.Obj{{K: "status", V: "disabled"}})},
			{name: "fingerprint", get: chGet(func(ch *billing.Charge) any { return ch.Fingerprint })},
			{name: "funding", get: chCard(func(c cards.Card) any { return c.Funding })},
			{name: "incremental_authorization", fixed: always(jsonobj.Obj{{K: "status", V: "unavailable"}})},
			{name: "installments", fixed: fixedNull},
			{name: "last4", get: chCard(func(c cards.Card) any { return c.Last4() })},
			{name: "mandate", fixed: fixedNull},
			{name: "multicapture", fixed: always(jsonobj.Obj{{K: "status", V: "unavailable"}})},
			{name: "network", get: chCard(func(c cards.Card) any { return c.Brand })},
			{name: "network_token", fixed: always(jsonobj.Obj{{K: "used", V: false}})},
			{name: "network_transaction_id", fixed: fixedNull},
			{name: "overcapture", get: chGet(func(ch *billing.Charge) any {
				return jsonobj.Obj{{K: "maximum_amount_capturable", V: ch.Amount}, {K: "status", V: "unavailable"}}
			})},
			{name: "regulated_status", fixed: fixedNull},
			{name: "three_d_secure", fixed: fixedNull},
			{name: "transaction_link_id", fixed: fixedNull},
			{name: "wallet", fixed: fixedNull},
		}},
		{name: "type", fixed: always("card")},
	}},
	{name: "receipt_email", get: chGet(func(ch *billing.Charge) any { return orNull(ch.ReceiptEmail) })},
	{name: "receipt_number", fixed: fixedNull},
	{name: "receipt_url", fixed: fixedNull},
	{name: "refunded", get: chGet(func(ch *billing.Charge) any { return ch.Refunded() })},
	{name: "review", fixed: fixedNull},
	{name: "shipping", fixed: fixedNull},
	{name: "source_transfer", fixed: fixedNull},
	{name: "statement_descriptor", fixed: fixedNull},
	{name: "statement_descriptor_suffix", fixed: fixedNull},
	{name: "status", get: chGet(func(ch *billing.Charge) any { return string(ch.Status) })},
	{name: "transfer_data", fixed: fixedNull},
	{name: "transfer_group", fixed: fixedNull},
})
