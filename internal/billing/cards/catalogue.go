package cards

// The catalogue: every card of ref §1.2–§1.5 and §2.6, in the reference's
// order, with the PaymentMethod ids and tokens that name it. A raw number
// finds the first card listed with it.
//
// Countries are the reference's where it gives one (US for 4242, JCB JP and
// UnionPay CN [I]), docs.stripe.com/testing's where it does (CA, GB, DE,
// IE for 4000000000003220), and otherwise [I] the ISO 3166 numeric code
// Stripe's 400000NNN… numbers carry after 400000 (4000002760003184: 276,
// DE),
// or US.

type entry struct {
	card   Card
	pms    []string // the pm_card_* ids that clone it
	tokens []string // the tok_* tokens that make it
}

// catalogue builds the table; nothing else writes it.
func catalogue() []entry {
	return []entry{
		// Cards that succeed (ref §1.2).
		{card: visa("visa", "4242424242424242"), pms: ids("pm_card_visa"), tokens: ids("tok_visa")},
		{card: debit(visa("visa_debit", "4000056655665556")), pms: ids("pm_card_visa_debit"), tokens: ids("tok_visa_debit")},
		{card: card("mastercard", "5555555555554444", "mastercard", "US"), pms: ids("pm_card_mastercard"), tokens: ids("tok_mastercard")},
		{card: card("mastercard_2series", "2223003122003222", "mastercard", "US")},
		{card: debit(card("mastercard_debit", "5200828282828210", "mastercard", "US")), pms: ids("pm_card_mastercard_debit"), tokens: ids("tok_mastercard_debit")},
		{card: funding(card("mastercard_prepaid", "5105105105105100", "mastercard", "US"), "prepaid"), pms: ids("pm_card_mastercard_prepaid"), tokens: ids("tok_mastercard_prepaid")},
		// [I] pm_card_amex is the amex with 3D Secure: docs.stripe.com/testing
		// gives 378282246310005 to pm_card_amex_threeDSecureNotSupported, and
		// published Stripe test objects of tok_amex end in 8431.
		{card: card("amex", "371449635398431", "amex", "US"), pms: ids("pm_card_amex"), tokens: ids("tok_amex")},
		{card: no3DS(card("amex_threeDSecureNotSupported", "378282246310005", "amex", "US")), pms: ids("pm_card_amex_threeDSecureNotSupported"), tokens: ids("tok_amex_threeDSecureNotSupported")},
		{card: card("discover", "6011111111111117", "discover", "US"), pms: ids("pm_card_discover"), tokens: ids("tok_discover")},
		{card: card("discover_2", "6011000990139424", "discover", "US")},
		{card: debit(card("discover_debit", "6011981111111113", "discover", "US"))},
		{card: card("diners", "3056930009020004", "diners", "US"), pms: ids("pm_card_diners"), tokens: ids("tok_diners")},
		{card: card("diners_14digit", "36227206271667", "diners", "US")},
		{card: card("jcb", "3566002020360505", "jcb", "JP"), pms: ids("pm_card_jcb"), tokens: ids("tok_jcb")},
		{card: card("unionpay", "6200000000000005", "unionpay", "CN"), pms: ids("pm_card_unionpay"), tokens: ids("tok_unionpay")},
		{card: debit(card("unionpay_debit", "6200000000000047", "unionpay", "CN"))},
		{card: card("unionpay_19digit", "6205500000000000004", "unionpay", "CN")},
		// Country cards: the reference names CA's number and the tokens
		// tok_gb and tok_de without numbers; numbers and ids are
		// docs.stripe.com/testing's ("Simulate a payment by country").
		{card: card("ca", "4000001240000000", "visa", "CA"), pms: ids("pm_card_ca"), tokens: ids("tok_ca")},
		{card: card("gb", "4000008260000000", "visa", "GB"), pms: ids("pm_card_gb"), tokens: ids("tok_gb")},
		{card: card("de", "4000002760000016", "visa", "DE"), pms: ids("pm_card_de"), tokens: ids("tok_de")},

		// Cards that decline: can't be attached, set up or charged (ref §1.3).
		{card: declines(visa("chargeDeclined", "4000000000000002"), genericDecline()),
			pms: ids("pm_card_visa_chargeDeclined", "pm_card_chargeDeclined"), tokens: ids("tok_visa_chargeDeclined")},
		{card: declines(visa("chargeDeclinedInsufficientFunds", "4000000000009995"), insufficientFunds()),
			pms: ids("pm_card_visa_chargeDeclinedInsufficientFunds", "pm_card_chargeDeclinedInsufficientFunds"), tokens: ids("tok_visa_chargeDeclinedInsufficientFunds")},
		{card: declines(visa("chargeDeclinedLostCard", "4000000000009987"), lostCard()),
			pms: ids("pm_card_visa_chargeDeclinedLostCard"), tokens: ids("tok_visa_chargeDeclinedLostCard")},
		{card: declines(visa("chargeDeclinedStolenCard", "4000000000009979"), stolenCard()),
			pms: ids("pm_card_visa_chargeDeclinedStolenCard"), tokens: ids("tok_visa_chargeDeclinedStolenCard")},
		{card: declines(visa("chargeDeclinedExpiredCard", "4000000000000069"), expiredCard()),
			pms: ids("pm_card_chargeDeclinedExpiredCard"), tokens: ids("tok_chargeDeclinedExpiredCard", "tok_visa_chargeDeclinedExpiredCard")},
		{card: cvcFails(declines(visa("chargeDeclinedIncorrectCvc", "4000000000000127"), incorrectCVC())),
			pms: ids("pm_card_chargeDeclinedIncorrectCvc"), tokens: ids("tok_chargeDeclinedIncorrectCvc", "tok_visa_chargeDeclinedIncorrectCvc")},
		{card: declines(visa("chargeDeclinedProcessingError", "4000000000000119"), processingError()),
			pms: ids("pm_card_chargeDeclinedProcessingError"), tokens: ids("tok_chargeDeclinedProcessingError", "tok_visa_chargeDeclinedProcessingError")},
		{card: declines(visa("chargeDeclinedVelocityLimitExceeded", "4000000000006975"), velocityExceeded()),
			pms: ids("pm_card_visa_chargeDeclinedVelocityLimitExceeded"), tokens: ids("tok_visa_chargeDeclinedVelocityLimitExceeded")},
		// Radar's "always blocked": attaches and sets up, every charge blocked
		// (ref §1.3 [I]); tok_radarBlock is the docs' token for it.
		{card: radarBlocks(visa("radarBlock", "4100000000000019")),
			pms: ids("pm_card_radarBlock"), tokens: ids("tok_visa_chargeDeclinedFraudulent", "tok_radarBlock")},

		// Attaches and sets up, then every charge declines (ref §1.4); [I]
		// generic_decline, and the token variants lost and stolen.
		{card: chargesDecline(visa("chargeCustomerFail", "4000000000000341"), genericDecline()),
			pms: ids("pm_card_chargeCustomerFail"), tokens: ids("tok_chargeCustomerFail", "tok_visa_chargeCustomerFail")},
		{card: chargesDecline(visa("chargeCustomerFailLostCard", "4000000000000341"), lostCard()),
			tokens: ids("tok_visa_chargeCustomerFailLostCard")},
		{card: chargesDecline(visa("chargeCustomerFailStolenCard", "4000000000000341"), stolenCard()),
			tokens: ids("tok_visa_chargeCustomerFailStolenCard")},

		// 3D Secure (ref §1.5).
		{card: authenticates(visa("authenticationRequiredOnSetup", "4000002500003155"), authUnlessSetUp),
			pms: ids("pm_card_authenticationRequiredOnSetup")},
		{card: authenticates(visa("authenticationRequired", "4000002760003184"), authAlways),
			pms: ids("pm_card_authenticationRequired")},
		{card: authenticates(visa("authenticationRequiredSetupForOffSession", "4000003800000446"), authOnSession),
			pms: ids("pm_card_authenticationRequiredSetupForOffSession")},
		{card: declinesAfterAuth(authenticates(visa("authenticationRequiredChargeDeclinedInsufficientFunds", "4000008260003178"), authOneTime), insufficientFunds()),
			pms: ids("pm_card_authenticationRequiredChargeDeclinedInsufficientFunds")},
		{card: authenticates(country(visa("threeDSecure2Required", "4000000000003220"), "IE"), authAlways),
			pms: ids("pm_card_threeDSecure2Required"), tokens: ids("tok_threeDSecure2Required")},
		{card: declinesAfterAuth(authenticates(visa("threeDSecureRequiredChargeDeclined", "4000008400001629"), authAlways), genericDecline()),
			pms: ids("pm_card_threeDSecureRequiredChargeDeclined"), tokens: ids("tok_threeDSecureRequiredChargeDeclined")},
		// "the 3D Secure lookup request fails with a processing error.
		// Payments are declined with a card_declined failure code" (docs);
		// [I] generic_decline, and a setup declines the same way.
		{card: setsUpAndChargesDecline(visa("threeDSecureRequiredProcessingError", "4000008400001280"), genericDecline()),
			pms: ids("pm_card_threeDSecureRequiredProcessingError"), tokens: ids("tok_threeDSecureRequiredProcessingError")},
		{card: visa("threeDSecureOptional", "4000000000003055"),
			pms: ids("pm_card_threeDSecureOptional"), tokens: ids("tok_threeDSecureOptional")},
		// [I] proceeds without 3D Secure (it is optional, and its attempts fail).
		{card: visa("threeDSecureOptionalProcessingError", "4000000000003097"),
			pms: ids("pm_card_threeDSecureOptionalProcessingError"), tokens: ids("tok_threeDSecureOptionalProcessingError")},

		// Asynchronous refunds (ref §2.6 names pm_card_pendingRefund and
		// pm_card_refundFail without numbers; the numbers, tokens and
		// behaviour are docs.stripe.com/testing's "Simulate an asynchronous
		// refund"; the failure reason is an older copy of that page's; the
		// delay is [I]).
		{card: refunds(visa("pendingRefund", "4000000000007726"), Refund{Initial: RefundPending, Later: RefundSucceeded, After: asyncRefundDelay}),
			pms: ids("pm_card_pendingRefund"), tokens: ids("tok_pendingRefund")},
		{card: refunds(visa("refundFail", "4000000000005126"), Refund{Initial: RefundSucceeded, Later: RefundFailed, After: asyncRefundDelay, FailureReason: "expired_or_canceled_card"}),
			pms: ids("pm_card_refundFail"), tokens: ids("tok_refundFail")},

		// Address checks: not in the reference; docs.stripe.com/testing
		// ("Fraud prevention"): the payment succeeds, the check fails (with
		// Radar's default rules, which do not block on it).
		{card: addressChecks(visa("avsFail", "4000000000000010"), CheckFail, CheckFail), pms: ids("pm_card_avsFail"), tokens: ids("tok_avsFail")},
		{card: addressChecks(visa("avsLine1Fail", "4000000000000028"), CheckFail, ""), pms: ids("pm_card_avsLine1Fail"), tokens: ids("tok_avsLine1Fail")},
		{card: addressChecks(visa("avsZipFail", "4000000000000036"), "", CheckFail), pms: ids("pm_card_avsZipFail"), tokens: ids("tok_avsZipFail")},
		{card: addressChecks(visa("avsUnchecked", "4000000000000044"), CheckUnavailable, CheckUnavailable), pms: ids("pm_card_avsUnchecked"), tokens: ids("tok_avsUnchecked")},
	}
}

func ids(s ...string) []string { return s }

// card is a credit card that succeeds everywhere and supports 3D Secure
// without asking for it.
func card(key, number, brand, country string) Card {
	display := brand
	switch brand {
	case "amex":
		display = "american_express"
	case "diners":
		display = "diners_club"
	case "unionpay":
		display = "union_pay"
	}
	return Card{Key: key, Number: number, Brand: brand, DisplayBrand: display, Funding: "credit", Country: country, ThreeDSecureSupported: true}
}

// visa is a US Visa credit card, or one of the country its number names.
func visa(key, number string) Card { return card(key, number, "visa", numberCountry(number)) }

// numberCountry is the country of the ISO 3166 numeric code after 400000 in
// Stripe's 400000NNN… numbers [I], US otherwise.
func numberCountry(number string) string {
	if len(number) == 16 && number[:6] == "400000" {
		if c, ok := numericCountry[number[6:9]]; ok {
			return c
		}
	}
	return "US"
}

// numericCountry holds the codes the catalogue's numbers carry.
var numericCountry = map[string]string{"250": "FR", "276": "DE", "380": "IT", "826": "GB"}

func funding(c Card, f string) Card                  { c.Funding = f; return c }
func debit(c Card) Card                              { return funding(c, "debit") }
func country(c Card, cc string) Card                 { c.Country = cc; return c }
func no3DS(c Card) Card                              { c.ThreeDSecureSupported = false; return c }
func cvcFails(c Card) Card                           { c.cvcFails = true; return c }
func refunds(c Card, r Refund) Card                  { c.refund = r; return c }
func radarBlocks(c Card) Card                        { c.charge, c.radarBlocks = fraudulent(), true; return c }
func chargesDecline(c Card, d Decline) Card          { c.charge = d; return c }
func declines(c Card, d Decline) Card                { c.attach, c.setup, c.charge = d, d, d; return c }
func setsUpAndChargesDecline(c Card, d Decline) Card { c.setup, c.charge = d, d; return c }
func authenticates(c Card, a authRule) Card          { c.auth = a; return c }
func declinesAfterAuth(c Card, d Decline) Card       { c.afterAuth = d; return c }
func addressChecks(c Card, line1, postal Check) Card { c.line1, c.postal = line1, postal; return c }

// The indexes, built once from the catalogue and only read after.
var (
	entries                                   = catalogue()
	byKey, byNumber, byPaymentMethod, byToken = index(entries)
)

func index(es []entry) (key, number, pm, token map[string]int) {
	key, number, pm, token = map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	first := func(m map[string]int, k string, i int) {
		if _, ok := m[k]; !ok {
			m[k] = i
		}
	}
	for i, e := range es {
		first(key, e.card.Key, i)
		first(number, e.card.Number, i)
		for _, id := range e.pms {
			first(pm, id, i)
		}
		for _, t := range e.tokens {
			first(token, t, i)
		}
	}
	return key, number, pm, token
}

func lookup(m map[string]int, k string) (Card, bool) {
	i, ok := m[k]
	if !ok {
		return Card{}, false
	}
	return entries[i].card, true
}

// ByKey is the card with this Key (as a stored PaymentMethod keeps it).
func ByKey(key string) (Card, bool) { return lookup(byKey, key) }

// ByNumber is the test card with this number (the first listed, where
// several share it). Unknown numbers are not test cards: Validate declines
// them.
func ByNumber(number string) (Card, bool) { return lookup(byNumber, number) }

// ByPaymentMethod is the card a magic PaymentMethod id (pm_card_visa, …)
// clones.
func ByPaymentMethod(id string) (Card, bool) { return lookup(byPaymentMethod, id) }

// ByToken is the card a test token (tok_visa, …) makes.
func ByToken(token string) (Card, bool) { return lookup(byToken, token) }
