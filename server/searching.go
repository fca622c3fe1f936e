package server

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/search"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// searchable describes how a resource's records are searched: its search
// endpoint's URL, the fields a query may name, and each record's values.
type searchable struct {
	url    string
	fields map[string]search.FieldType
	// doc gives a record's searchable values; nil leaves the record out (deleted).
	doc func(store.Record) search.Doc
}

// fieldDoc is a search.Doc over a map of field values and a metadata map.
type fieldDoc struct {
	fields   map[string]search.Value
	metadata map[string]string
}

func (d fieldDoc) Field(name string) (search.Value, bool) {
	v, ok := d.fields[name]
	return v, ok
}

func (d fieldDoc) Metadata(key string) (string, bool) {
	v, ok := d.metadata[key]
	return v, ok
}

// text is a searchable string value; "" counts as null.
func text(s string) (search.Value, bool) { return search.Value{Str: s}, s != "" }

func num(n int64) search.Value { return search.Value{Num: n, IsNum: true} }

func boolValue(b bool) search.Value { return search.Value{Str: strconv.FormatBool(b)} }

// search runs a search request on the records of a resource (by name): query,
// limit, page.
func (c *call) search(name string) (jsonobj.Obj, error) {
	res := c.s.reg.byName[name]
	if res == nil || res.desc().search == nil {
		return nil, fmt.Errorf("no resource %q with a search", name)
	}
	sr, table := res.desc().search, res.desc().table.Name
	p := c.params
	query, _ := p.String("query")
	q, err := search.Parse(query, sr.fields)
	if err != nil {
		return nil, apierr.InvalidRequest("", "query", "Invalid query: %s.", strings.TrimSuffix(err.Error(), "."))
	}
	limit, err := readLimit(p)
	if err != nil {
		return nil, err
	}
	page := store.Page{Limit: int(limit)}
	if tok, ok := p.String("page"); ok {
		m, ok := decodePageToken(tok)
		if !ok {
			return nil, apierr.Invalid("page", "Invalid page: %q is not a page token from a previous search's next_page.", tok)
		}
		page.After = m
	}
	match := func(r store.Record) bool {
		d := sr.doc(r)
		return d != nil && q.Match(d)
	}
	recs, more, err := c.tx.List(table, page, match)
	if err != nil {
		return nil, err
	}
	data := make([]jsonobj.Obj, 0, len(recs))
	for _, r := range recs {
		o, err := res.renderRecord(&c.renderCtx, r)
		if err != nil {
			return nil, err
		}
		data = append(data, o)
	}
	var next any
	if more && len(recs) > 0 {
		next = encodePageToken(recs[len(recs)-1].RecordMeta())
	}
	total := func() any {
		n := 0
		_ = c.tx.All(table, func(r store.Record) bool {
			if match(r) {
				n++
			}
			return true
		})
		return n
	}
	return jsonobj.Obj{
		{K: "object", V: "search_result"},
		{K: "data", V: data},
		{K: "has_more", V: more},
		{K: "next_page", V: next},
		{K: "total_count", V: jsonobj.Hidden{Fn: total}},
		{K: "url", V: sr.url},
	}, nil
}

func encodePageToken(m *store.Meta) string {
	raw := strconv.FormatInt(m.Created, 10) + ":" + strconv.FormatUint(m.Seq, 10) + ":" + m.ID
	return "page_" + base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodePageToken(tok string) (*store.Meta, bool) {
	rest, ok := strings.CutPrefix(tok, "page_")
	if !ok {
		return nil, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return nil, false
	}
	parts := strings.SplitN(string(raw), ":", 3)
	if len(parts) != 3 || parts[2] == "" {
		return nil, false
	}
	created, err1 := strconv.ParseInt(parts[0], 10, 64)
	seq, err2 := strconv.ParseUint(parts[1], 10, 64)
	if err1 != nil || err2 != nil {
		return nil, false
	}
	return &store.Meta{ID: parts[2], Created: created, Seq: seq}, true
}

func searchCustomers(c *call) (jsonobj.Obj, error) {
	return c.search("customer")
}

func searchProducts(c *call) (jsonobj.Obj, error) {
	return c.search("product")
}
