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
	card := ch.TestCard()
	var failureCode, failureMessage any
	if ch.Failure != nil {
		failureCode, failureMessage = ch.Failure.Code, ch.Failure.Message
	}
	var authorized any
	if ch.Status == billing.ChargeSucceeded {
		authorized = ch.Amount
	}
	check := func(c cards.Check) any { return orNull(string(c)) }
	return jsonobj.Obj{
		{K: "id", V: ch.ID},
		{K: "object", V: "charge"},
		{K: "amount", V: ch.Amount},
		{K: "amount_captured", V: ch.AmountCaptured},
		{K: "amount_refunded", V: ch.AmountRefunded},
		{K: "application", V: nil},
		{K: "application_fee", V: nil},
		{K: "application_fee_amount", V: nil},
		{K: "balance_transaction", V: nil},
		{K: "billing_details", V: renderBillingDetails(ch.BillingDetails)},
		{K: "calculated_statement_descriptor", V: "STRIPE-EMULATOR"},
		{K: "captured", V: ch.Captured},
		{K: "created", V: ch.Created},
		{K: "currency", V: ch.Currency},
		{K: "customer", V: orNull(ch.Customer)},
		{K: "description", V: orNull(ch.Description)},
		{K: "disputed", V: false},
		{K: "failure_balance_transaction", V: nil},
		{K: "failure_code", V: failureCode},
		{K: "failure_message", V: failureMessage},
		{K: "fraud_details", V: jsonobj.Obj{}},
		{K: "invoice", V: orNull(ch.Invoice)},
		{K: "livemode", V: false},
		{K: "metadata", V: metadataOf(ch.Metadata)},
		{K: "on_behalf_of", V: nil},
		{K: "outcome", V: jsonobj.Obj{
			{K: "network_status", V: string(ch.Outcome.NetworkStatus)},
			{K: "reason", V: orNull(ch.Outcome.Reason)},
			{K: "risk_level", V: string(ch.Outcome.RiskLevel)},
			{K: "risk_score", V: ch.Outcome.RiskScore(ch.Fingerprint)},
			{K: "seller_message", V: ch.Outcome.SellerMessage},
			{K: "type", V: string(ch.Outcome.Type)},
		}},
		{K: "paid", V: ch.Status == billing.ChargeSucceeded},
		{K: "payment_intent", V: orNull(ch.PaymentIntent)},
		{K: "payment_method", V: ch.PaymentMethod},
		{K: "payment_method_details", V: jsonobj.Obj{
			{K: "card", V: jsonobj.Obj{
				{K: "amount_authorized", V: authorized},
				{K: "authorization_code", V: nil},
				{K: "brand", V: card.Brand},
				{K: "checks", V: jsonobj.Obj{
					{K: "address_line1_check", V: check(ch.Checks.AddressLine1)},
					{K: "address_postal_code_check", V: check(ch.Checks.AddressPostalCode)},
					{K: "cvc_check", V: check(ch.Checks.CVC)},
				}},
				{K: "country", V: card.Country},
				{K: "exp_month", V: ch.ExpMonth},
				{K: "exp_year", V: ch.ExpYear},
				{K: "extended_authorization", V: jsonobj.Obj{{K: "status", V: "disabled"}}},
				{K: "fingerprint", V: ch.Fingerprint},
				{K: "funding", V: card.Funding},
				{K: "incremental_authorization", V: jsonobj.Obj{{K: "status", V: "unavailable"}}},
				{K: "installments", V: nil},
				{K: "last4", V: card.Last4()},
				{K: "mandate", V: nil},
				{K: "multicapture", V: jsonobj.Obj{{K: "status", V: "unavailable"}}},
				{K: "network", V: card.Brand},
				{K: "network_token", V: jsonobj.Obj{{K: "used", V: false}}},
				{K: "overcapture", V: jsonobj.Obj{{K: "maximum_amount_capturable", V: ch.Amount}, {K: "status", V: "unavailable"}}},
				{K: "three_d_secure", V: nil},
				{K: "wallet", V: nil},
			}},
			{K: "type", V: "card"},
		}},
		{K: "receipt_email", V: orNull(ch.ReceiptEmail)},
		{K: "receipt_number", V: nil},
		{K: "receipt_url", V: nil},
		{K: "refunded", V: ch.Refunded()},
		{K: "review", V: nil},
		{K: "shipping", V: nil},
		{K: "source_transfer", V: nil},
		{K: "statement_descriptor", V: nil},
		{K: "statement_descriptor_suffix", V: nil},
		{K: "status", V: string(ch.Status)},
		{K: "transfer_data", V: nil},
		{K: "transfer_group", V: nil},
	}
}
