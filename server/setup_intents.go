package server

import (
	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/metadata"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// SetupIntents (ref §2.3): a card set up for later, off-session payments.
// The state machine is the engine's (billing.ConfirmSetupIntent…); 3D Secure
// is completed through the emulator's own endpoint (emulator_intents.go).

const tSetupIntents = billing.TableSetupIntents

var setupIntentResource = &resource[*billing.SetupIntent]{
	resourceDesc: resourceDesc{
		name:  "setup_intent",
		noun:  "setupintent",
		table: billing.Table(tSetupIntents),
		codec: plainCodec[billing.SetupIntent](),
		expand: map[string]string{"customer": "customer", "payment_method": "payment_method", "latest_attempt": "setup_attempt",
			"mandate": "mandate", "single_use_mandate": "mandate", "on_behalf_of": "account", "application": "application"},
		events: setupIntentEvents,
		routes: setupIntentEndpoints,
		shape:  setupIntentShape,
	},
	render: infallible((*renderCtx).renderSetupIntent),
}

// setupIntentEvents: created; requires_action, succeeded and canceled as
// its status reaches them; setup_failed for each failed attempt. Stripe has
// no setup_intent.updated: other changes raise nothing.
func setupIntentEvents(m *mutation) (string, store.Record, store.Record) {
	after, _ := m.after.(*billing.SetupIntent)
	before, _ := m.before.(*billing.SetupIntent)
	switch {
	case after == nil:
		return "", nil, nil
	case before == nil:
		return "setup_intent.created", after, nil
	case after.FailedAttempts > before.FailedAttempts:
		return "setup_intent.setup_failed", after, nil
	case after.Status == before.Status:
		return "", nil, nil
	case after.Status == billing.SetupIntentRequiresAction:
		return "setup_intent.requires_action", after, nil
	case after.Status == billing.SetupIntentSucceeded:
		return "setup_intent.succeeded", after, nil
	case after.Status == billing.SetupIntentCanceled:
		return "setup_intent.canceled", after, nil
	}
	return "", nil, nil
}

func setupIntentEndpoints() []endpoint {
	return []endpoint{
		{route: "POST /v1/setup_intents", op: "PostSetupIntents", mode: txWrite, h: createSetupIntent,
			accepts: []string{"automatic_payment_methods", "confirm", "customer", "description", "metadata", "payment_method", "payment_method_types",
				"return_url", "usage", "use_stripe_sdk"}},
		{route: "GET /v1/setup_intents/{intent}", op: "GetSetupIntentsIntent", mode: txRead, h: retrieveSetupIntent},
		{route: "POST /v1/setup_intents/{intent}", op: "PostSetupIntentsIntent", mode: txWrite, h: updateSetupIntent,
			accepts: []string{"customer", "description", "metadata", "payment_method", "payment_method_types"}},
		{route: "GET /v1/setup_intents", op: "GetSetupIntents", mode: txRead, h: listSetupIntents,
			accepts: []string{"created", "customer", "ending_before", "limit", "payment_method", "starting_after"}},
		{route: "POST /v1/setup_intents/{intent}/confirm", op: "PostSetupIntentsIntentConfirm", mode: txWrite, h: confirmSetupIntent,
			accepts: []string{"payment_method", "return_url", "use_stripe_sdk"}},
		{route: "POST /v1/setup_intents/{intent}/cancel", op: "PostSetupIntentsIntentCancel", mode: txWrite, h: cancelSetupIntent},
	}
}

// createSetupIntent is POST /v1/setup_intents: requires_payment_method, or
// requires_confirmation with a payment method; confirm=true confirms it in
// the same request, as a moment of its own (its events after
// setup_intent.created).
func createSetupIntent(c *call) (jsonobj.Obj, error) {
	p := c.params
	si := &billing.SetupIntent{Status: billing.SetupIntentRequiresPaymentMethod, Usage: p.StringOr("usage", billing.SetupUsageOffSession),
		Metadata: map[string]string{}}
	created := c.unix()
	if id, ok := p.String("customer"); ok {
		cu, err := c.getCustomer(id, "customer", false)
		if err != nil {
			return nil, err
		}
		si.Customer, si.TestClock, created = cu.ID, cu.TestClock, c.u.CustomerNow(cu.ID)
	}
	si.Meta = c.newMetaAt("seti", created)
	si.ClientSecret = si.ID + "_secret_" + store.RandomString(32)
	if apm := p.Object("automatic_payment_methods"); apm != nil {
		if on, _ := apm.Bool("enabled"); on {
			si.AllowRedirects = apm.StringOr("allow_redirects", "always")
		}
	}
	confirm, _ := p.Bool("confirm")
	if p.Has("return_url") && !confirm {
		return nil, apierr.InvalidRequest("", "return_url", "return_url can only be given with confirm=true (or to the confirm endpoint).")
	}
	pm, err := c.setSetupIntentParams(si, p)
	if err != nil {
		return nil, err
	}
	if err := c.tx.Put(tSetupIntents, si); err != nil {
		return nil, err
	}
	if !confirm {
		return c.answer(si, c.renderSetupIntent(si)), nil
	}
	c.u.NextStep()
	return c.confirmSetupIntentWith(si, pm)
}

// setSetupIntentParams sets what create and update share on si: the
// payment method (a magic id: a new clone), payment_method_types (card
// only), description and metadata. It answers the payment method, if one
// was given.
func (c *call) setSetupIntentParams(si *billing.SetupIntent, p *form.Params) (*billing.PaymentMethod, error) {
	for _, t := range p.Array("payment_method_types") {
		if t.Str != "card" {
			return nil, apierr.InvalidRequest("", t.Param, "stripe-emulator supports the payment method type card only, not %s.", t.Str)
		}
	}
	var pm *billing.PaymentMethod
	if id, ok := p.String("payment_method"); ok {
		var err error
		if pm, err = c.paymentMethod(id, "payment_method"); err != nil {
			return nil, err
		}
		si.PaymentMethod, si.Status = pm.ID, billing.SetupIntentRequiresConfirmation
	}
	if v, ok := p.String("description"); ok {
		if err := maxLen(p, "description", v, maxLenFor["description"]); err != nil {
			return nil, err
		}
		si.Description = v
	} else if p.IsEmpty("description") {
		si.Description = ""
	}
	md, err := metadata.Apply(si.Metadata, decodeMetadata(p, "metadata"))
	if err != nil {
		return nil, err
	}
	si.Metadata = md
	return pm, nil
}

// setupIntent is the SetupIntent named in the path.
func (c *call) setupIntent() (*billing.SetupIntent, error) {
	return getRecord[*billing.SetupIntent](c.tx, tSetupIntents, "setupintent", c.vars["intent"], "id")
}

// retrieveSetupIntent is GET /v1/setup_intents/{id}; a client_secret, when
// given, must be the intent's.
func retrieveSetupIntent(c *call) (jsonobj.Obj, error) {
	si, err := c.setupIntent()
	if err != nil {
		return nil, err
	}
	if s, ok := c.params.String("client_secret"); ok && s != si.ClientSecret {
		return nil, apierr.InvalidRequest("", "client_secret", "The client_secret provided does not match the client_secret associated with the SetupIntent.")
	}
	return c.renderSetupIntent(si), nil
}

// updateSetupIntent is POST /v1/setup_intents/{id}, while it is open: a new
// payment method makes it requires_confirmation again; a customer can be set
// only while it has none [I].
func updateSetupIntent(c *call) (jsonobj.Obj, error) {
	cur, err := c.setupIntent()
	if err != nil {
		return nil, err
	}
	if !cur.Open() {
		return nil, apierr.State("setup_intent_unexpected_state", "You cannot update this SetupIntent because it has a status of %s.", cur.Status)
	}
	p := c.params
	si := cur.Clone()
	if id, ok := p.String("customer"); ok && id != si.Customer {
		if si.Customer != "" {
			return nil, apierr.InvalidRequest("", "customer", "The customer of a SetupIntent cannot be changed once set (it is %s).", si.Customer)
		}
		cu, err := c.getCustomer(id, "customer", false)
		if err != nil {
			return nil, err
		}
		si.Customer, si.TestClock = cu.ID, cu.TestClock
	}
	if _, err := c.setSetupIntentParams(si, p); err != nil {
		return nil, err
	}
	if p.Has("payment_method") {
		si.NextAction = nil
	}
	if err := c.tx.Put(tSetupIntents, si); err != nil {
		return nil, err
	}
	return c.answer(si, c.renderSetupIntent(si)), nil
}

// confirmSetupIntent is POST /v1/setup_intents/{id}/confirm, with the
// intent's payment method or a new one.
func confirmSetupIntent(c *call) (jsonobj.Obj, error) {
	si, err := c.setupIntent()
	if err != nil {
		return nil, err
	}
	var pm *billing.PaymentMethod
	if id, ok := c.params.String("payment_method"); ok {
		if !si.Open() { // before a magic id is cloned for nothing
			return nil, apierr.State("setup_intent_unexpected_state", "You cannot confirm this SetupIntent because it has a status of %s.", si.Status)
		}
		if pm, err = c.paymentMethod(id, "payment_method"); err != nil {
			return nil, err
		}
	} else if si.PaymentMethod != "" {
		if pm, err = getRecord[*billing.PaymentMethod](c.tx, tPaymentMethods, "PaymentMethod", si.PaymentMethod, "payment_method"); err != nil {
			return nil, err
		}
	}
	return c.confirmSetupIntentWith(si, pm)
}

// confirmSetupIntentWith confirms si with pm (nil: none), the next action
// pointing at the emulator's page for it.
func (c *call) confirmSetupIntentWith(si *billing.SetupIntent, pm *billing.PaymentMethod) (jsonobj.Obj, error) {
	returnURL, _ := c.params.String("return_url")
	si, err := billing.ConfirmSetupIntent(&c.u, si, billing.SetupConfirm{PaymentMethod: pm, ReturnURL: returnURL, ChallengeURL: c.challengeURL(si.ID)})
	if err != nil {
		return nil, err
	}
	return c.answer(si, c.renderSetupIntent(si)), nil
}

func cancelSetupIntent(c *call) (jsonobj.Obj, error) {
	si, err := c.setupIntent()
	if err != nil {
		return nil, err
	}
	si, err = billing.CancelSetupIntent(&c.u, si, c.params.StringOr("cancellation_reason", ""))
	if err != nil {
		return nil, err
	}
	return c.answer(si, c.renderSetupIntent(si)), nil
}

func listSetupIntents(c *call) (jsonobj.Obj, error) {
	customerID, byCustomer := c.params.String("customer")
	pmID, byPM := c.params.String("payment_method")
	return c.list(tSetupIntents, "setupintent", "/v1/setup_intents", func(r store.Record) bool {
		si := r.(*billing.SetupIntent)
		return (!byCustomer || si.Customer == customerID) && (!byPM || si.PaymentMethod == pmID)
	}, func(r store.Record) (jsonobj.Obj, error) { return c.renderSetupIntent(r.(*billing.SetupIntent)), nil })
}

func (rc *renderCtx) renderSetupIntent(si *billing.SetupIntent) jsonobj.Obj {
	return setupIntentShape.render(rc, si)
}

// siField is a field of the setup_intent object.
type siField = field[*billing.SetupIntent]

// siGet is a getter of the SetupIntent itself.
func siGet(f func(si *billing.SetupIntent) any) func(*renderCtx, *billing.SetupIntent) any {
	return func(_ *renderCtx, si *billing.SetupIntent) any { return f(si) }
}

// setupIntentShape is the SetupIntent at every API version.
var setupIntentShape = newShape("setup_intent", []siField{
	{name: "id", get: siGet(func(si *billing.SetupIntent) any { return si.ID })},
	{name: "object", fixed: always("setup_intent")},
	{name: "allowed_payment_method_types", get: siGet(func(*billing.SetupIntent) any { return []string{"card"} })},
	{name: "application", fixed: fixedNull},
	{name: "automatic_payment_methods", get: siGet(func(si *billing.SetupIntent) any { return renderAutomaticPaymentMethods(si.AllowRedirects) })},
	{name: "cancellation_reason", get: siGet(func(si *billing.SetupIntent) any { return orNull(si.CancellationReason) })},
	{name: "client_secret", get: siGet(func(si *billing.SetupIntent) any { return si.ClientSecret })},
	{name: "created", get: siGet(func(si *billing.SetupIntent) any { return si.Created })},
	{name: "customer", get: siGet(func(si *billing.SetupIntent) any { return orNull(si.Customer) })},
	{name: "description", get: siGet(func(si *billing.SetupIntent) any { return orNull(si.Description) })},
	{name: "excluded_payment_method_types", get: siGet(func(*billing.SetupIntent) any { return []string{} })},
	{name: "flow_directions", fixed: fixedNull},
	{name: "last_setup_error", get: func(rc *renderCtx, si *billing.SetupIntent) any {
		return rc.renderIntentError(si.LastError, si.LastErrorPaymentMethod, "")
	}},
	{name: "latest_attempt", fixed: fixedNull},
	{name: "livemode", fixed: fixedFalse},
	{name: "mandate", fixed: fixedNull},
	{name: "metadata", get: siGet(func(si *billing.SetupIntent) any { return metadataOf(si.Metadata) })},
	{name: "next_action", get: siGet(func(si *billing.SetupIntent) any { return renderNextAction(si.NextAction) })},
	{name: "on_behalf_of", fixed: fixedNull},
	{name: "payment_method", get: siGet(func(si *billing.SetupIntent) any { return orNull(si.PaymentMethod) })},
	{name: "payment_method_configuration_details", fixed: fixedNull},
	{name: "payment_method_options", get: siGet(func(*billing.SetupIntent) any {
		return jsonobj.Obj{{K: "card", V: jsonobj.Obj{{K: "mandate_options", V: nil}, {K: "network", V: nil}, {K: "request_three_d_secure", V: "automatic"}}}}
	})},
	{name: "payment_method_types", get: siGet(func(*billing.SetupIntent) any { return []string{"card"} })},
	{name: "single_use_mandate", fixed: fixedNull},
	{name: "status", get: siGet(func(si *billing.SetupIntent) any { return string(si.Status) })},
	{name: "usage", get: siGet(func(si *billing.SetupIntent) any { return si.Usage })},
})

// renderAutomaticPaymentMethods is an intent's automatic_payment_methods:
// null unless enabled.
func renderAutomaticPaymentMethods(allowRedirects string) any {
	if allowRedirects == "" {
		return nil
	}
	return jsonobj.Obj{{K: "allow_redirects", V: allowRedirects}, {K: "enabled", V: true}}
}
