package server

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/search"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// searchable describes how one resource is searched.
type searchable struct {
	table  string
	url    string
	fields map[string]search.FieldType
	// doc gives a record's searchable values; nil leaves the record out (deleted).
	doc    func(store.Record) search.Doc
	render func(store.Record) (jsonobj.Obj, error)
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

// search runs a search request: query, limit, page.
func (c *call) search(sr searchable) (jsonobj.Obj, error) {
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
	recs, more, err := c.tx.List(sr.table, page, match)
	if err != nil {
		return nil, err
	}
	data := make([]jsonobj.Obj, 0, len(recs))
	for _, r := range recs {
		o, err := sr.render(r)
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
		_ = c.tx.All(sr.table, func(r store.Record) bool {
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
	return c.search(searchable{
		table:  tCustomers,
		url:    "/v1/customers/search",
		fields: map[string]search.FieldType{"created": search.Number, "email": search.Text, "name": search.Text, "phone": search.Text},
		doc: func(r store.Record) search.Doc {
			cu := r.(*customer)
			if cu.Deleted {
				return nil
			}
			d := fieldDoc{fields: map[string]search.Value{"created": num(cu.Created)}, metadata: cu.Metadata}
			for k, v := range map[string]string{"email": cu.Email, "name": cu.Name, "phone": cu.Phone} {
				if val, ok := text(v); ok {
					d.fields[k] = val
				}
			}
			return d
		},
		render: func(r store.Record) (jsonobj.Obj, error) { return renderCustomer(r.(*customer)), nil },
	})
}

func searchProducts(c *call) (jsonobj.Obj, error) {
	return c.search(searchable{
		table: tProducts,
		url:   "/v1/products/search",
		fields: map[string]search.FieldType{"active": search.Token, "created": search.Number, "description": search.Text,
			"name": search.Text, "shippable": search.Token, "url": search.Text},
		doc: func(r store.Record) search.Doc {
			pr := r.(*product)
			d := fieldDoc{fields: map[string]search.Value{"created": num(pr.Created), "active": boolValue(pr.Active)}, metadata: pr.Metadata}
			for k, v := range map[string]string{"description": pr.Description, "name": pr.Name, "url": pr.URL} {
				if val, ok := text(v); ok {
					d.fields[k] = val
				}
			}
			if pr.Shippable != nil {
				d.fields["shippable"] = boolValue(*pr.Shippable)
			}
			return d
		},
		render: func(r store.Record) (jsonobj.Obj, error) { return renderProduct(r.(*product)), nil },
	})
}
