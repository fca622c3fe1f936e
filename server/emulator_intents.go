package server

import (
	"strings"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/billing/cards"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
)

// What the intents share: their last error and next action, and the
// emulator-only way through 3D Secure (design-16 D8, §3.7). On Stripe the
// customer completes or fails the challenge on Stripe's test page; here a
// test does it with
//
//	POST /_emulator/intents/{id}/authenticate  result=complete|fail
//
// and GET /_emulator/3ds/{id}, the URL an intent's next_action points at,
// says so (a JSON description of the challenge, until the hosted pages
// serve HTML).

func emulatorIntentEndpoints() []endpoint {
	return []endpoint{
		{route: "POST /_emulator/intents/{intent}/authenticate", mode: txWrite, h: authenticateIntent,
			schema: form.Object(map[string]*form.Schema{"result": form.String("complete", "fail")}, "result")},
		{route: "GET /_emulator/3ds/{intent}", mode: txRead, h: challengePage, schema: form.Object(map[string]*form.Schema{})},
	}
}

// authenticateIntent completes or fails the authentication an intent in
// requires_action waits for, and answers the intent as it is then.
func authenticateIntent(c *call) (jsonobj.Obj, error) {
	completed := c.params.StringOr("result", "") == "complete"
	if strings.HasPrefix(c.vars["intent"], "pi_") {
		pi, err := c.paymentIntent()
		if err != nil {
			return nil, err
		}
		if pi, err = billing.AuthenticatePaymentIntent(&c.u, pi, completed); err != nil {
			return nil, err
		}
		return c.answer(pi, c.renderPaymentIntent(pi)), nil
	}
	si, err := c.intentInPath()
	if err != nil {
		return nil, err
	}
	if si, err = billing.AuthenticateSetupIntent(&c.u, si, completed); err != nil {
		return nil, err
	}
	return c.answer(si, c.renderSetupIntent(si)), nil
}

// challengePage is GET /_emulator/3ds/{id}: what the intent waits for, and
// how to answer it.
func challengePage(c *call) (jsonobj.Obj, error) {
	id, status := c.vars["intent"], ""
	if strings.HasPrefix(id, "pi_") {
		pi, err := c.paymentIntent()
		if err != nil {
			return nil, err
		}
		status = string(pi.Status)
	} else {
		si, err := c.intentInPath()
		if err != nil {
			return nil, err
		}
		status = string(si.Status)
	}
	return jsonobj.Obj{
		{K: "object", V: "emulator.three_d_secure_challenge"},
		{K: "intent", V: id},
		{K: "status", V: status},
		{K: "complete", V: "POST /_emulator/intents/" + id + "/authenticate with result=complete"},
		{K: "fail", V: "POST /_emulator/intents/" + id + "/authenticate with result=fail"},
	}, nil
}

// intentInPath is the SetupIntent the path names (a PaymentIntent's id
// starts pi_, and is read by paymentIntent).
func (c *call) intentInPath() (*billing.SetupIntent, error) {
	if id := c.vars["intent"]; !strings.HasPrefix(id, "seti_") {
		return nil, apierr.ResourceMissing("intent", "id", id)
	}
	return c.setupIntent()
}

// challengeURL is the emulator's page for an intent's 3D Secure challenge,
// on the host the request came to.
func (c *call) challengeURL(intent string) string {
	scheme := "http"
	if c.r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + c.r.Host + "/_emulator/3ds/" + intent
}

// renderNextAction renders an intent's next_action (design-16 §3.7 [I]):
// redirect_to_url after a confirm with a return_url, use_stripe_sdk
// otherwise; null when it waits for nothing.
func renderNextAction(na *billing.NextAction) any {
	if na == nil {
		return nil
	}
	if na.ReturnURL != "" {
		return jsonobj.Obj{
			{K: "redirect_to_url", V: jsonobj.Obj{{K: "return_url", V: na.ReturnURL}, {K: "url", V: na.URL}}},
			{K: "type", V: "redirect_to_url"},
		}
	}
	return jsonobj.Obj{
		{K: "type", V: "use_stripe_sdk"},
		{K: "use_stripe_sdk", V: jsonobj.Obj{{K: "source", V: na.Source}, {K: "stripe_js", V: na.URL}, {K: "type", V: "three_d_secure_redirect"}}},
	}
}

// renderIntentError renders an intent's last error (last_setup_error;
// last_payment_error): the keys of its card error but request_log_url, with
// the charge it made (an id) and the payment method it used in full; null
// when there is none.
func (rc *renderCtx) renderIntentError(d *cards.Decline, paymentMethod, charge string) any {
	if d == nil {
		return nil
	}
	e := d.APIError().WithCharge(charge)
	if pm, err := getRecord[*billing.PaymentMethod](rc.tx, tPaymentMethods, "PaymentMethod", paymentMethod, "payment_method"); err == nil {
		e.PaymentMethod.JSON = jsonobj.Marshal(rc.renderPaymentMethod(pm))
	}
	return errorMembers(e, "")
}
