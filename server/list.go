package server

import (
	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// listQuery is a list request's pagination and created filter.
type listQuery struct {
	page    store.Page
	created func(int64) bool
}

// parseListQuery reads limit, starting_after, ending_before and created. The
// cursors name objects of table (noun is their name in error messages).
func (c *call) parseListQuery(table, noun string) (listQuery, error) {
	p := c.params
	var q listQuery
	pg, err := readPage(p)
	if err != nil {
		return q, err
	}
	q.page.Limit = int(pg.limit)
	cs := pg.cursors
	for _, cur := range []struct {
		param, id string
		set       bool
		dst       *store.Record
	}{{"starting_after", cs.after, cs.hasAfter, &q.page.After}, {"ending_before", cs.before, cs.hasBefore, &q.page.Before}} {
		if !cur.set {
			continue
		}
		rec, err := getRecord[store.Record](c.tx, table, noun, cur.id, cur.param)
		if err != nil {
			return q, err
		}
		*cur.dst = rec
	}
	q.created = rangeFilter(p, "created")
	return q, nil
}

// readLimit is a list request's limit: 10 unless given, from 1 to 100.
func readLimit(p *form.Params) (int64, error) {
	l, ok := p.Int("limit")
	if !ok {
		return 10, nil
	}
	if err := checkLimit(l); err != nil {
		return 0, err
	}
	return l, nil
}

// cursors are a list request's starting_after and ending_before.
type cursors struct {
	after, before       string
	hasAfter, hasBefore bool
}

// readCursors reads the cursors, which exclude each other.
func readCursors(p *form.Params) (cursors, error) {
	var cs cursors
	cs.after, cs.hasAfter = p.String("starting_after")
	cs.before, cs.hasBefore = p.String("ending_before")
	if cs.hasAfter && cs.hasBefore {
		return cs, apierr.InvalidRequest("", "starting_after", "Received both starting_after and ending_before parameters. Please pass in only one.")
	}
	return cs, nil
}

// pageParams are a list request's limit and cursors.
type pageParams struct {
	limit int64
	cursors
}

// readPage reads a list request's limit, then its cursors.
func readPage(p *form.Params) (pageParams, error) {
	limit, err := readLimit(p)
	if err != nil {
		return pageParams{}, err
	}
	cs, err := readCursors(p)
	return pageParams{limit: limit, cursors: cs}, err
}

// window is the part of a sequence of n items, in list order, that the page
// asks for: items [first, last), and whether more lie beyond it. find gives
// the position of a cursor's item, or its error.
func (pg pageParams) window(n int, find func(id, param string) (int, error)) (first, last int, more bool, err error) {
	cs, limit := pg.cursors, pg.limit
	first, last = 0, n
	switch {
	case cs.hasAfter:
		i, err := find(cs.after, "starting_after")
		if err != nil {
			return 0, 0, false, err
		}
		first = i + 1
	case cs.hasBefore:
		i, err := find(cs.before, "ending_before")
		if err != nil {
			return 0, 0, false, err
		}
		last, first = i, max(0, i-int(limit))
	}
	if last-first > int(limit) {
		last, more = first+int(limit), true
	} else if cs.hasBefore && first > 0 {
		more = true
	}
	return first, last, more, nil
}

func checkLimit(l int64) error {
	if l < 1 {
		return apierr.InvalidRequest("parameter_invalid_integer", "limit", "This value must be greater than or equal to 1.")
	}
	if l > 100 {
		return apierr.InvalidRequest("parameter_invalid_integer", "limit", "This value must be less than or equal to 100.")
	}
	return nil
}

// rangeFilter reads a key=N or key[gt|gte|lt|lte]=N filter; nil when absent.
func rangeFilter(p *form.Params, key string) func(int64) bool {
	v := p.Get(key)
	if v == nil {
		return nil
	}
	if v.Kind == form.KInt {
		n := v.Int
		return func(x int64) bool { return x == n }
	}
	o := p.Object(key)
	if o == nil {
		return nil
	}
	gt, hasGT := o.Int("gt")
	gte, hasGTE := o.Int("gte")
	lt, hasLT := o.Int("lt")
	lte, hasLTE := o.Int("lte")
	return func(x int64) bool {
		return (!hasGT || x > gt) && (!hasGTE || x >= gte) && (!hasLT || x < lt) && (!hasLTE || x <= lte)
	}
}

// list runs a list query on a table and renders Stripe's list envelope.
func (c *call) list(table, noun, url string, match func(store.Record) bool, render func(store.Record) (jsonobj.Obj, error)) (jsonobj.Obj, error) {
	q, err := c.parseListQuery(table, noun)
	if err != nil {
		return nil, err
	}
	filter := match
	if q.created != nil {
		filter = func(r store.Record) bool {
			return q.created(r.RecordMeta().Created) && (match == nil || match(r))
		}
	}
	recs, more, err := c.tx.List(table, q.page, filter)
	if err != nil {
		return nil, err
	}
	// total_count: shown only when expanded, which versions before
	// 2025-03-31.basil allow (an emulator account stands for one that
	// predates Stripe's "new users can't expand total_count"; expand refuses
	// it from basil on).
	total := func() any {
		n := 0
		_ = c.tx.All(table, func(r store.Record) bool { // List has just read the table: All cannot fail
			if filter == nil || filter(r) {
				n++
			}
			return true
		})
		return n
	}
	return listEnvelope(url, recs, more, total, render)
}

func listEnvelope(url string, recs []store.Record, more bool, total func() any, render func(store.Record) (jsonobj.Obj, error)) (jsonobj.Obj, error) {
	data := make([]jsonobj.Obj, 0, len(recs))
	for _, r := range recs {
		o, err := render(r)
		if err != nil {
			return nil, err
		}
		data = append(data, o)
	}
	return jsonobj.Obj{
		{K: "object", V: "list"},
		{K: "data", V: data},
		{K: "has_more", V: more},
		{K: "total_count", V: jsonobj.Hidden{Fn: total}},
		{K: "url", V: url},
	}, nil
}
