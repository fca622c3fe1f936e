package server

import (
	"reflect"
	"slices"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/stripe-emulator/stripe-emulator/internal/apiversion"
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
	"github.com/stripe-emulator/stripe-emulator/internal/metadata"
	"github.com/stripe-emulator/stripe-emulator/internal/spec"
)

// subscriptionForm decodes a form body as POST /v1/subscriptions/{id} does
// (Stripe's schema of the operation).
func subscriptionForm(t *testing.T, body string) *form.Params {
	t.Helper()
	return opForm(t, "PostSubscriptionsSubscriptionExposedId", body)
}

// opForm decodes a form body as the operation of Stripe's catalogue does.
func opForm(t *testing.T, op, body string) *form.Params {
	t.Helper()
	ops, err := spec.Operations()
	if err != nil {
		t.Fatal(err)
	}
	tree, aerr := form.Parse(body)
	if aerr != nil {
		t.Fatal(aerr)
	}
	p, aerr := form.Validate(tree, ops[op].Params)
	if aerr != nil {
		t.Fatal(aerr)
	}
	for _, up := range apiversion.UpgradesFor(ops[op].Method+" "+ops[op].Path, apiversion.V2024_06_20) {
		if aerr := up.Apply(p); aerr != nil { // as decode brings a request to the handlers' shape
			t.Fatal(aerr)
		}
	}
	return p
}

func TestDecodeMetadata(t *testing.T) {
	for _, tt := range []struct {
		name, body string
		at         func(*form.Params) *form.Params // the object holding metadata (nil: the top level)
		want       metadata.Patch
	}{
		{"not sent", "description=x", nil, metadata.Patch{}},
		{"nothing sent", "", nil, metadata.Patch{}},
		{"metadata= clears", "metadata=", nil, metadata.Patch{Given: true, Clear: true, Param: "metadata"}},
		{"keys set and removed", "metadata[a]=1&metadata[b]=", nil,
			metadata.Patch{Given: true, Param: "metadata", Keys: map[string]string{"a": "1", "b": ""}}},
		{"nested: the path names the element", "items[0][price]=p&items[1][metadata][k]=v",
			func(p *form.Params) *form.Params { return p.Objects("items")[1] },
			metadata.Patch{Given: true, Param: "items[1][metadata]", Keys: map[string]string{"k": "v"}}},
		{"nested, cleared", "items[0][metadata]=",
			func(p *form.Params) *form.Params { return p.Objects("items")[0] },
			metadata.Patch{Given: true, Clear: true, Param: "items[0][metadata]"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := subscriptionForm(t, tt.body)
			if tt.at != nil {
				p = tt.at(p)
			}
			if got := decodeMetadata(p, "metadata"); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	if got := decodeMetadata(nil, "metadata"); !reflect.DeepEqual(got, metadata.Patch{}) {
		t.Errorf("no parameters at all: got %+v, want the zero Patch", got)
	}
}

// TestDecodeInvoiceItemFields: the decoder copies what the request gave,
// telling a parameter absent, given with a value and given empty, and a
// decimal amount that parses from one that does not (the engine refuses it in
// its place).
func TestDecodeInvoiceItemFields(t *testing.T) {
	amount := func(a billing.AmountInput) billing.AmountInput {
		a.IntParam, a.DecimalParam = "unit_amount", "unit_amount_decimal"
		return a
	}
	for _, tt := range []struct {
		name, body string
		want       billing.InvoiceItemFields
	}{
		{"nothing", "", billing.InvoiceItemFields{UnitAmount: amount(billing.AmountInput{})}},
		{"values", "quantity=3&amount=500&price=price_1&description=Setup&discountable=false&period[start]=10&period[end]=20",
			billing.InvoiceItemFields{Quantity: billing.Some(int64(3)), Amount: billing.Some(int64(500)), Price: billing.Some("price_1"), PriceParam: "price",
				Description: billing.Some("Setup"), Discountable: billing.Some(false), Period: billing.Some(billing.Period{Start: 10, End: 20}),
				UnitAmount: amount(billing.AmountInput{})}},
		{"a decimal unit amount", "unit_amount_decimal=0.25",
			billing.InvoiceItemFields{UnitAmount: amount(billing.AmountInput{Decimal: billing.Some("0.25"), Parsed: decimal.RequireFromString("0.25"), Valid: true})}},
		{"a decimal that is not one", "unit_amount_decimal=1e3",
			billing.InvoiceItemFields{UnitAmount: amount(billing.AmountInput{Decimal: billing.Some("1e3")})}},
		{"an integer unit amount", "unit_amount=7",
			billing.InvoiceItemFields{UnitAmount: amount(billing.AmountInput{Int: billing.Some(int64(7))})}},
		{"metadata", "metadata[k]=v",
			billing.InvoiceItemFields{UnitAmount: amount(billing.AmountInput{}), Metadata: metadata.Patch{Given: true, Param: "metadata", Keys: map[string]string{"k": "v"}}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := decodeInvoiceItemFields(opForm(t, "PostInvoiceitemsInvoiceitem", tt.body))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestDecodeOpt: a value given is Set; key= of a parameter that can be
// unset is given empty (Clear), not absent; a string given empty where the
// schema takes "" is the value "".
func TestDecodeOpt(t *testing.T) {
	p := subscriptionForm(t, "cancel_at=&description=&days_until_due=3&cancel_at_period_end=true")
	if got := optInt(p, "cancel_at"); !got.Clear || got.Set || !got.Given() {
		t.Errorf("cancel_at=: %+v, want given empty", got)
	}
	if got := optString(p, "description"); !got.Set || got.V != "" {
		t.Errorf("description=: %+v, want the value \"\"", got)
	}
	if got := optInt(p, "days_until_due"); !got.Set || got.V != 3 {
		t.Errorf("days_until_due=3: %+v", got)
	}
	if got := optBool(p, "cancel_at_period_end"); !got.Set || !got.V {
		t.Errorf("cancel_at_period_end=true: %+v", got)
	}
	if got := optString(p, "collection_method"); got.Given() {
		t.Errorf("collection_method absent: %+v", got)
	}
}

// withoutInline is items with each price_data closure left out (reported as
// whether it was there), for comparing.
func withoutInline(items []billing.ItemChange) ([]billing.ItemChange, []bool) {
	out, inline := slices.Clone(items), make([]bool, len(items))
	for i := range out {
		inline[i], out[i].Price.Inline = out[i].Price.Inline != nil, nil
	}
	return out, inline
}

// TestDecodeItems: each element of items is an ItemChange named by its path,
// with what it gave; price_data is a closure the engine calls in its place.
// An item endpoint's parameters are one, at the top.
func TestDecodeItems(t *testing.T) {
	body := "items[0][price]=price_1&items[0][quantity]=2&items[0][metadata][k]=v" +
		"&items[1][id]=si_1&items[1][deleted]=true&items[1][clear_usage]=true" +
		"&items[2][plan]=plan_1&items[2][metadata]=" +
		"&items[3][price_data][currency]=usd&items[3][price_data][product]=prod_1&items[3][price_data][unit_amount]=5&items[3][price_data][recurring][interval]=month"
	got, inline := withoutInline(decodeItems(&call{}, subscriptionForm(t, body), "items"))
	want := []billing.ItemChange{
		{Param: "items[0]", Price: billing.PriceRef{Price: billing.Some("price_1")}, Quantity: billing.Some(int64(2)),
			Metadata: metadata.Patch{Given: true, Param: "items[0][metadata]", Keys: map[string]string{"k": "v"}}},
		{Param: "items[1]", ID: billing.Some("si_1"), Deleted: true, ClearUsage: true},
		{Param: "items[2]", Price: billing.PriceRef{Plan: billing.Some("plan_1")}, Metadata: metadata.Patch{Given: true, Clear: true, Param: "items[2][metadata]"}},
		{Param: "items[3]"},
	}
	if !reflect.DeepEqual(got, want) || !slices.Equal(inline, []bool{false, false, false, true}) {
		t.Errorf("got %+v (price_data %v)\nwant %+v", got, inline, want)
	}
	if got := decodeItems(&call{}, subscriptionForm(t, "description=x"), "items"); got != nil {
		t.Errorf("no items: %+v", got)
	}
	top, _ := withoutInline([]billing.ItemChange{decodeItemChange(&call{}, opForm(t, "PostSubscriptionItemsItem", "price=price_1&quantity=3"))})
	if want := (billing.ItemChange{Price: billing.PriceRef{Price: billing.Some("price_1")}, Quantity: billing.Some(int64(3))}); !reflect.DeepEqual(top[0], want) {
		t.Errorf("an item endpoint's: %+v, want %+v", top[0], want)
	}
}

// TestDecodeSubscriptionCreate: the request as it was given, every check
// left to the engine.
func TestDecodeSubscriptionCreate(t *testing.T) {
	p := opForm(t, "PostSubscriptions", "customer=cus_1&backdate_start_date=5&items[0][price]=price_1&currency=usd&trial_end=now&trial_period_days=3"+
		"&trial_from_plan=true&billing_cycle_anchor=9&proration_behavior=none&collection_method=send_invoice&days_until_due=-1"+
		"&cancel_at_period_end=false&cancel_at=11&description=d&trial_settings[end_behavior][missing_payment_method]=pause&automatic_tax[enabled]=true"+
		"&add_invoice_items[0][price]=price_2&add_invoice_items[0][quantity]=2&add_invoice_items[1][price_data][currency]=usd&add_invoice_items[1][price_data][product]=prod_1")
	got := decodeSubscriptionCreate(&call{}, p)
	var inline []bool
	got.Items, _ = withoutInline(got.Items)
	for i := range got.AddInvoiceItems {
		inline = append(inline, got.AddInvoiceItems[i].Price.Inline != nil)
		got.AddInvoiceItems[i].Price.Inline = nil
	}
	want := billing.SubscriptionCreate{Customer: billing.Some("cus_1"), BackdateStartDate: billing.Some(int64(5)), ItemsGiven: true,
		Items: []billing.ItemChange{{Param: "items[0]", Price: billing.PriceRef{Price: billing.Some("price_1")}}}, Currency: billing.Some("usd"),
		Settings: billing.SubscriptionSettings{CollectionMethod: billing.Some("send_invoice"), DaysUntilDue: billing.Some(int64(-1)),
			CancelAtPeriodEnd: billing.Some(false), CancelAt: billing.Some(int64(11)), Description: billing.Some("d"),
			TrialEndBehavior: billing.Some("pause"), AutomaticTax: true},
		TrialEnd: billing.Some(billing.Moment{Now: true}), TrialPeriodDays: billing.Some(int64(3)), TrialFromPlan: true, Anchor: billing.Some(int64(9)),
		ProrationBehavior: billing.ProrationNone,
		AddInvoiceItems: []billing.AddInvoiceItem{{Param: "add_invoice_items[0]", Price: billing.PriceRef{Price: billing.Some("price_2")}, Quantity: billing.Some(int64(2))},
			{Param: "add_invoice_items[1]"}},
		Mode: billing.ModeRequest{Default: billing.ModeClassic}}
	if !reflect.DeepEqual(got, want) || !slices.Equal(inline, []bool{false, true}) {
		t.Errorf("got %+v (price_data %v)\nwant %+v", got, inline, want)
	}
	if got := decodeSubscriptionCreate(&call{}, opForm(t, "PostSubscriptions", "customer=cus_1&trial_end=1234")); got.TrialEnd != billing.Some(billing.Moment{At: 1234}) ||
		got.ItemsGiven || got.ProrationBehavior != billing.ProrationCreate || got.Settings.TrialEndBehavior.Given() {
		t.Errorf("trial_end a timestamp, nothing else: %+v", got)
	}
}

// TestDecodeCancellation: cancellation_details given, with what it gave; a
// feedback given empty is not a value.
func TestDecodeCancellation(t *testing.T) {
	got := decodeCancellation(subscriptionForm(t, "cancellation_details[comment]=bye&cancellation_details[feedback]="))
	if want := (billing.CancellationDetails{Given: true, Comment: billing.Some("bye"), Feedback: billing.Opt[string]{Clear: true}}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got := decodeCancellation(subscriptionForm(t, "description=x")); got.Given {
		t.Errorf("absent: %+v", got)
	}
}

// TestDecodePreviewChange: a preview's change from subscription_details, or
// from GET upcoming's legacy flat subscription_* parameters, decodes into
// the same change; subscription_details[x] wins over subscription_x; a
// billing_cycle_anchor timestamp is kept by its path (the engine refuses it).
func TestDecodePreviewChange(t *testing.T) {
	items := []billing.ItemChange{{Param: "subscription_details[items][0]", ID: billing.Some("si_1"), Quantity: billing.Some(int64(2))}}
	full := billing.PreviewChange{Items: items, ItemsGiven: true, ProrationBehavior: billing.ProrationAlwaysInvoice,
		ProrationDate: billing.Some(int64(5)), CancelAtPeriodEnd: billing.Some(true), CancelNow: true, CancelAt: billing.Some(int64(7)),
		TrialEnd: billing.Some(billing.Moment{Now: true}), AnchorNow: true}
	flat := full
	flat.Items = []billing.ItemChange{{Param: "subscription_items[0]", ID: billing.Some("si_1"), Quantity: billing.Some(int64(2))}}
	for _, tt := range []struct {
		name, body string
		want       billing.PreviewChange
	}{
		{"nothing", "customer=cus_1", billing.PreviewChange{ProrationBehavior: billing.ProrationCreate}},
		{"subscription_details", "subscription_details[items][0][id]=si_1&subscription_details[items][0][quantity]=2" +
			"&subscription_details[proration_behavior]=always_invoice&subscription_details[proration_date]=5" +
			"&subscription_details[cancel_at_period_end]=true&subscription_details[cancel_now]=true&subscription_details[cancel_at]=7" +
			"&subscription_details[trial_end]=now&subscription_details[billing_cycle_anchor]=now", full},
		{"the legacy flat parameters", "subscription_items[0][id]=si_1&subscription_items[0][quantity]=2" +
			"&subscription_proration_behavior=always_invoice&subscription_proration_date=5" +
			"&subscription_cancel_at_period_end=true&subscription_cancel_now=true&subscription_cancel_at=7" +
			"&subscription_trial_end=now&subscription_billing_cycle_anchor=now", flat},
		{"subscription_details wins", "subscription_details[proration_date]=5&subscription_proration_date=9&subscription_trial_end=12",
			billing.PreviewChange{ProrationBehavior: billing.ProrationCreate, ProrationDate: billing.Some(int64(5)), TrialEnd: billing.Some(billing.Moment{At: 12})}},
		{"cancel_at= clears", "subscription_details[cancel_at]=",
			billing.PreviewChange{ProrationBehavior: billing.ProrationCreate, CancelAt: billing.Opt[int64]{Clear: true}}},
		{"an anchor timestamp, flat", "subscription_billing_cycle_anchor=1234",
			billing.PreviewChange{ProrationBehavior: billing.ProrationCreate, AnchorTimestamp: "subscription_billing_cycle_anchor"}},
		{"an anchor timestamp, in subscription_details", "subscription_details[billing_cycle_anchor]=1234&subscription_billing_cycle_anchor=now",
			billing.PreviewChange{ProrationBehavior: billing.ProrationCreate, AnchorTimestamp: "subscription_details[billing_cycle_anchor]"}},
		{"billing_cycle_anchor=unchanged", "subscription_details[billing_cycle_anchor]=unchanged", billing.PreviewChange{ProrationBehavior: billing.ProrationCreate}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := decodePreviewChange(&call{}, opForm(t, "GetInvoicesUpcoming", tt.body))
			tt.want.Mode = billing.ModeRequest{Default: billing.ModeClassic} // 2024-06-20's: no billing_mode
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestDecodePreview: the rest of a preview's request.
func TestDecodePreview(t *testing.T) {
	got := decodePreview(&call{}, opForm(t, "PostInvoicesCreatePreview", "customer=cus_1&subscription=sub_1&preview_mode=recurring&currency=usd"+
		"&invoice_items[0][amount]=300&invoice_items[0][currency]=eur&invoice_items[1][price]=price_1"))
	if !got.Customer.Set || got.Customer.V != "cus_1" || got.Subscription.V != "sub_1" || !got.Recurring || got.Currency.V != "usd" ||
		len(got.InvoiceItems) != 2 || got.InvoiceItems[0].Param != "invoice_items[0]" || got.InvoiceItems[0].Currency.V != "eur" ||
		got.InvoiceItems[0].Fields.Amount.V != 300 || got.InvoiceItems[1].Fields.Price.V != "price_1" || got.InvoiceItems[1].Currency.Given() ||
		!got.Target || got.NeedsTarget {
		t.Errorf("got %+v", got)
	}
	if got := decodePreview(&call{}, opForm(t, "GetInvoicesUpcoming", "customer=cus_1&preview_mode=next")); got.Recurring || got.InvoiceItems != nil || got.Target {
		t.Errorf("preview_mode=next: %+v", got)
	}
}

// TestDecodeItemRequest: an item endpoint's parameters are one item change
// of the path's item (none for POST /v1/subscription_items), removed on
// DELETE, whatever the parameters say of an id.
func TestDecodeItemRequest(t *testing.T) {
	c := &call{params: opForm(t, "PostSubscriptionItems", "subscription=sub_1&price=price_1&quantity=2&proration_behavior=none&proration_date=5")}
	got := decodeItemRequest(c, "", false)
	want := billing.ItemRequest{Subscription: billing.Some("sub_1"), Item: billing.ItemChange{Price: billing.PriceRef{Price: billing.Some("price_1")},
		Quantity: billing.Some(int64(2))}, ProrationBehavior: billing.ProrationNone, ProrationDate: billing.Some(int64(5))}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("create: %+v\nwant %+v", got, want)
	}
	c = &call{params: opForm(t, "DeleteSubscriptionItemsItem", "clear_usage=true")}
	got = decodeItemRequest(c, "si_1", true)
	want = billing.ItemRequest{Item: billing.ItemChange{ID: billing.Some("si_1"), Deleted: true, ClearUsage: true}, ProrationBehavior: billing.ProrationCreate}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("delete: %+v\nwant %+v", got, want)
	}
}
