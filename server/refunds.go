package server

import (
	"maps"

	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/metadata"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// Refunds (ref §2.6) of charges, in full or in part. The engine's
// billing.CreateRefund takes the rules; the card decides a refund's status.

const tRefunds = billing.TableRefunds

var refundResource = &resource[*billing.Refund]{
	resourceDesc: resourceDesc{
		name:  "refund",
		noun:  "refund",
		table: billing.Table(tRefunds),
		codec: plainCodec[billing.Refund](),
		expand: map[string]string{"charge": "charge", "payment_intent": "payment_intent", "balance_transaction": "balance_transaction",
			"failure_balance_transaction": "balance_transaction", "source_transfer_reversal": "transfer_reversal", "transfer_reversal": "transfer_reversal"},
		events: refundEvents,
		routes: refundEndpoints,
		shape:  refundShape,
	},
	render: infallible((*renderCtx).renderRefund),
}

// refundEvents: created; updated as its status or metadata changes.
func refundEvents(m *mutation) (string, store.Record, store.Record) {
	after, _ := m.after.(*billing.Refund)
	before, _ := m.before.(*billing.Refund)
	switch {
	case after == nil:
		return "", nil, nil
	case before == nil:
		return "refund.created", after, nil
	case after.Status != before.Status || !maps.Equal(after.Metadata, before.Metadata):
		return "refund.updated", after, before
	}
	return "", nil, nil
}

func refundEndpoints() []endpoint {
	return []endpoint{
		{route: "POST /v1/refunds", op: "PostRefunds", mode: txWrite, h: createRefund, accepts: []string{"amount", "charge", "metadata", "payment_intent", "reason"}},
		{route: "GET /v1/refunds/{refund}", op: "GetRefundsRefund", mode: txRead, h: retrieveRefund},
		{route: "POST /v1/refunds/{refund}", op: "PostRefundsRefund", mode: txWrite, h: updateRefund, accepts: []string{"metadata"}},
		{route: "GET /v1/refunds", op: "GetRefunds", mode: txRead, h: listRefunds,
			accepts: []string{"charge", "created", "ending_before", "limit", "payment_intent", "starting_after"}},
		{route: "POST /v1/refunds/{refund}/cancel", op: "PostRefundsRefundCancel", mode: txWrite, h: cancelRefund},
	}
}

func createRefund(c *call) (jsonobj.Obj, error) {
	p := c.params
	re, err := billing.CreateRefund(&c.u, billing.RefundCreate{Charge: optString(p, "charge"), PaymentIntent: optString(p, "payment_intent"),
		Amount: optInt(p, "amount"), Reason: p.StringOr("reason", ""), Metadata: decodeMetadata(p, "metadata")})
	if err != nil {
		return nil, err
	}
	return c.answer(re, c.renderRefund(re)), nil
}

func (c *call) refund() (*billing.Refund, error) {
	return getRecord[*billing.Refund](c.tx, tRefunds, "refund", c.vars["refund"], "id")
}

func retrieveRefund(c *call) (jsonobj.Obj, error) {
	re, err := c.refund()
	if err != nil {
		return nil, err
	}
	return c.renderRefund(re), nil
}

// updateRefund is POST /v1/refunds/{id}: its metadata.
func updateRefund(c *call) (jsonobj.Obj, error) {
	cur, err := c.refund()
	if err != nil {
		return nil, err
	}
	re := cur.Clone()
	if re.Metadata, err = metadata.Apply(re.Metadata, decodeMetadata(c.params, "metadata")); err != nil {
		return nil, err
	}
	if err := c.tx.Put(tRefunds, re); err != nil {
		return nil, err
	}
	return c.answer(re, c.renderRefund(re)), nil
}

func cancelRefund(c *call) (jsonobj.Obj, error) {
	re, err := c.refund()
	if err != nil {
		return nil, err
	}
	if re, err = billing.CancelRefund(&c.u, re); err != nil {
		return nil, err
	}
	return c.answer(re, c.renderRefund(re)), nil
}

func listRefunds(c *call) (jsonobj.Obj, error) {
	chargeID, byCharge := c.params.String("charge")
	piID, byPI := c.params.String("payment_intent")
	return c.list(tRefunds, "refund", "/v1/refunds", func(r store.Record) bool {
		re := r.(*billing.Refund)
		return (!byCharge || re.Charge == chargeID) && (!byPI || re.PaymentIntent == piID)
	}, func(r store.Record) (jsonobj.Obj, error) { return c.renderRefund(r.(*billing.Refund)), nil })
}

func (rc *renderCtx) renderRefund(re *billing.Refund) jsonobj.Obj {
	return refundShape.render(rc, re)
}

// refundField is a field of the refund object.
type refundField = field[*billing.Refund]

// reGet is a getter of the refund itself.
func reGet(f func(re *billing.Refund) any) func(*renderCtx, *billing.Refund) any {
	return func(_ *renderCtx, re *billing.Refund) any { return f(re) }
}

// reCharge is a getter of the refunded charge (null if it is gone).
func reCharge(f func(ch *billing.Charge) any) func(*renderCtx, *billing.Refund) any {
	return func(rc *renderCtx, re *billing.Refund) any {
		ch, err := getRecord[*billing.Charge](rc.tx, tCharges, "charge", re.Charge, "charge")
		if err != nil {
			return nil
		}
		return f(ch)
	}
}

// refundShape is the refund at every API version.
var refundShape = newShape("refund", []refundField{
	{name: "id", get: reGet(func(re *billing.Refund) any { return re.ID })},
	{name: "object", fixed: always("refund")},
	{name: "amount", get: reGet(func(re *billing.Refund) any { return re.Amount })},
	{name: "balance_transaction", fixed: fixedNull},
	{name: "charge", get: reGet(func(re *billing.Refund) any { return re.Charge })},
	{name: "created", get: reGet(func(re *billing.Refund) any { return re.Created })},
	{name: "currency", get: reGet(func(re *billing.Refund) any { return re.Currency })},
	{name: "customer", get: reCharge(func(ch *billing.Charge) any { return orNull(ch.Customer) })},
	{name: "customer_account", fixed: fixedNull},
	{name: "destination_details", get: reGet(func(*billing.Refund) any {
		return jsonobj.Obj{{K: "card", V: jsonobj.Obj{{K: "type", V: "refund"}}}, {K: "type", V: "card"}}
	})},
	{name: "failure_reason", get: reGet(func(re *billing.Refund) any { return orAbsent(re.FailureReason) })},
	{name: "metadata", get: reGet(func(re *billing.Refund) any { return metadataOf(re.Metadata) })},
	{name: "payment_intent", get: reGet(func(re *billing.Refund) any { return orNull(re.PaymentIntent) })},
	{name: "payment_method", get: reCharge(func(ch *billing.Charge) any { return ch.PaymentMethod })},
	{name: "reason", get: reGet(func(re *billing.Refund) any { return orNull(re.Reason) })},
	{name: "receipt_number", fixed: fixedNull},
	{name: "source_transfer_reversal", fixed: fixedNull},
	{name: "status", get: reGet(func(re *billing.Refund) any { return string(re.Status) })},
	{name: "transfer_reversal", fixed: fixedNull},
})
