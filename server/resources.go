package server

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/stripe-emulator/stripe-emulator/internal/apiversion"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// resources is every API object the emulator serves. The stored ones come
// first, in the order of the state file's sections (a new one goes last);
// the objects that only others render follow. Adding a resource is its file
// (record, descriptor, endpoints, handlers, renderer) and one line here.
var resources = []anyResource{
	customerResource,
	productResource,
	priceResource,
	subscriptionResource,
	invoiceResource,
	testClockResource,
	webhookEndpointResource,
	alertResource,
	subscriptionItemResource,
	invoiceItemResource,
	usageRecordResource,
	meterResource,
	paymentMethodResource,
	setupIntentResource,
	balanceTransactionResource,
	paymentIntentResource,
	chargeResource,
	refundResource,
	invoicePaymentResource,

	lineItemResource,
	planResource,
	discountResource,
	usageRecordSummaryResource,
}

// discountResource is a discount, which the emulator never sets (discount is
// null and discounts are empty everywhere); expand[] knows its references.
var discountResource = &resource[any]{resourceDesc: resourceDesc{
	name:   "discount",
	expand: map[string]string{"customer": "customer", "promotion_code": "promotion_code"},
}}

// routeGroup is a resource's routes, or a group of routes that belongs to no
// resource.
type routeGroup struct {
	res    anyResource
	routes func() []endpoint
}

// routeOrder is the order in which route groups are registered, the order mux
// tries them in (testdata/golden/routes.txt pins it). The routes of a resource
// not named here are registered after these, in the order of resources.
var routeOrder = []routeGroup{
	{routes: emulatorEndpoints},
	{res: customerResource},
	{res: productResource},
	{res: priceResource},
	{res: subscriptionResource},
	{res: subscriptionItemResource},
	{routes: invoicePreviewEndpoints},
	{res: invoiceResource},
	{res: invoiceItemResource},
	{res: testClockResource},
	{routes: eventEndpoints},
	{res: webhookEndpointResource},
	{res: alertResource},
	{routes: v2Endpoints},
	{res: meterResource},
	{routes: meterEventEndpoints},
	{res: paymentMethodResource},
	{res: setupIntentResource},
	{res: balanceTransactionResource},
	{res: paymentIntentResource},
	{res: chargeResource},
	{res: refundResource},
	{res: invoicePaymentResource},
	{routes: emulatorIntentEndpoints},
}

// registry is what a server derives from the resources when it starts.
type registry struct {
	// tables are the stored resources' tables, in the order of resources:
	// every account's schema, and the state file's sections.
	tables []store.Table
	// codecs are their state codecs, by table.
	codecs map[string]recordCodec
	// byName has every resource by its API object's name.
	byName map[string]anyResource
	// byRecord has the rendered stored resources by record type (events
	// render the record they name).
	byRecord map[reflect.Type]anyResource
	// expandable is, per object, the fields expand[] can replace and the
	// object each one names; expandableSince, those a version made
	// expandable, with it (earlier versions cannot expand them).
	expandable      map[string]map[string]string
	expandableSince map[string]map[string]apiversion.Version
	// cached are the tables in the catalog.
	cached map[string]bool
	// events are the resources' event rules, by table.
	events map[string]eventRule
	// routes are the route groups in the order they are registered in.
	routes []func() []endpoint
}

// newRegistry derives the registry of a list of resources, with today's
// route groups in order; it refuses two resources of one name or one table,
// a stored resource without a codec, and a route group naming a resource that
// is not in the list.
func newRegistry(list []anyResource, order []routeGroup) (*registry, error) {
	reg := &registry{
		codecs:          map[string]recordCodec{},
		byName:          map[string]anyResource{},
		byRecord:        map[reflect.Type]anyResource{},
		expandable:      map[string]map[string]string{},
		expandableSince: map[string]map[string]apiversion.Version{},
		cached:          map[string]bool{},
		events:          map[string]eventRule{},
	}
	var errs []error
	for _, res := range list {
		d := res.desc()
		if _, dup := reg.byName[d.name]; dup || d.name == "" {
			errs = append(errs, fmt.Errorf("resource %q: a second resource of that name", d.name))
			continue
		}
		reg.byName[d.name] = res
		if d.expand != nil {
			reg.expandable[d.name] = d.expand
		}
		if d.shape != nil && d.shape.expandableSince() != nil {
			reg.expandableSince[d.name] = d.shape.expandableSince()
		}
		if d.table.Name == "" {
			if d.codec.encode != nil || d.cached || d.events != nil || d.search != nil {
				errs = append(errs, fmt.Errorf("resource %s: a codec, catalog flag, event rule or search without a table", d.name))
			}
			continue
		}
		if _, dup := reg.codecs[d.table.Name]; dup {
			errs = append(errs, fmt.Errorf("resource %s: table %s is another resource's", d.name, d.table.Name))
			continue
		}
		if d.codec.encode == nil || d.codec.decode == nil {
			errs = append(errs, fmt.Errorf("resource %s: table %s has no state codec", d.name, d.table.Name))
			continue
		}
		reg.tables = append(reg.tables, d.table)
		reg.codecs[d.table.Name] = d.codec
		if res.rendered() {
			reg.byRecord[res.recordType()] = res
		}
		if d.cached {
			reg.cached[d.table.Name] = true
		}
		if d.events != nil {
			reg.events[d.table.Name] = d.events
		}
	}
	placed := map[string]bool{}
	for _, g := range order {
		switch {
		case g.res != nil && reg.byName[g.res.desc().name] != g.res:
			errs = append(errs, fmt.Errorf("routeOrder names resource %s, which is not in the list", g.res.desc().name))
		case g.res != nil && g.res.desc().routes != nil:
			placed[g.res.desc().name] = true
			reg.routes = append(reg.routes, g.res.desc().routes)
		case g.res == nil && g.routes != nil:
			reg.routes = append(reg.routes, g.routes)
		default:
			errs = append(errs, errors.New("routeOrder has a group without routes"))
		}
	}
	for _, res := range list {
		if d := res.desc(); d.routes != nil && !placed[d.name] {
			reg.routes = append(reg.routes, d.routes)
		}
	}
	if err := checkShapes(list); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return reg, nil
}

// loaders are what expand[] loads by ID: every stored resource it renders.
func (reg *registry) loaders() map[string]loader {
	out := map[string]loader{}
	for name, res := range reg.byName {
		if res.rendered() && res.desc().table.Name != "" {
			out[name] = res.loadID
		}
	}
	return out
}
