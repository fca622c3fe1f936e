package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/apiversion"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/metadata"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// webhookEndpoint is a stored webhook endpoint.
type webhookEndpoint struct {
	store.Meta
	URL         string
	Events      []string
	Description string
	Metadata    map[string]string
	Secret      string
	Disabled    bool
	// APIVersion is the version the endpoint was created with (api_version),
	// "" for none: the account's default applies.
	APIVersion string `json:",omitempty"`
}

// webhookEndpointStatus is a webhook endpoint's status: whether events are
// delivered to it.
type webhookEndpointStatus string

const (
	webhookEndpointEnabled  webhookEndpointStatus = "enabled"
	webhookEndpointDisabled webhookEndpointStatus = "disabled"
)

func (w *webhookEndpoint) clone() *webhookEndpoint {
	n := *w
	n.Metadata = maps.Clone(w.Metadata)
	n.Events = append([]string(nil), w.Events...)
	return &n
}

const tWebhookEndpoints = "webhook_endpoints"

var webhookEndpointResource = &resource[*webhookEndpoint]{
	resourceDesc: resourceDesc{
		name:   "webhook_endpoint",
		noun:   "webhook endpoint",
		table:  store.Table{Name: tWebhookEndpoints},
		codec:  plainCodec[webhookEndpoint](),
		cached: true,
		routes: webhookEndpoints,
	},
	render: infallible((*renderCtx).renderWebhookEndpoint),
}

// version is the version the endpoint's events are rendered at: its
// api_version (pinned), else the account's default.
func (w *webhookEndpoint) version() (v apiversion.Version, pinned bool) {
	if w.APIVersion == "" {
		return 0, false
	}
	return apiversion.Parse(w.APIVersion)
}

func (w *webhookEndpoint) wants(typ string) bool {
	if w.Disabled {
		return false
	}
	for _, e := range w.Events {
		if e == "*" || e == typ {
			return true
		}
	}
	return false
}

func webhookEndpoints() []endpoint {
	return []endpoint{
		{route: "POST /v1/webhook_endpoints", op: "PostWebhookEndpoints", mode: txWrite, h: createWebhookEndpoint,
			accepts: []string{"api_version", "description", "enabled_events", "metadata", "url"}, anyVersion: []string{"enabled_events"}},
		{route: "GET /v1/webhook_endpoints", op: "GetWebhookEndpoints", mode: txRead, h: listWebhookEndpoints},
		{route: "GET /v1/webhook_endpoints/{webhook_endpoint}", op: "GetWebhookEndpointsWebhookEndpoint", mode: txRead, h: retrieveWebhookEndpoint},
		{route: "POST /v1/webhook_endpoints/{webhook_endpoint}", op: "PostWebhookEndpointsWebhookEndpoint", mode: txWrite, h: updateWebhookEndpoint, anyVersion: []string{"enabled_events"}},
		{route: "DELETE /v1/webhook_endpoints/{webhook_endpoint}", op: "DeleteWebhookEndpointsWebhookEndpoint", mode: txWrite, h: deleteWebhookEndpoint},
	}
}

func checkWebhookURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return apierr.InvalidRequest("url_invalid", "url", "Invalid URL: %s. A webhook endpoint URL must be an absolute http or https URL.", apierr.Clip(raw, 100))
	}
	return nil
}

func checkEnabledEvents(events []string) error {
	if len(events) == 0 {
		return apierr.InvalidEmpty("enabled_events")
	}
	for i, e := range events {
		if e == "*" {
			continue
		}
		ok := e != ""
		for j := 0; j < len(e); j++ {
			if ch := e[j]; !(ch >= 'a' && ch <= 'z' || ch == '_' || ch == '.' || ch >= '0' && ch <= '9') {
				ok = false
			}
		}
		if !ok {
			return apierr.Invalid("enabled_events["+strconv.Itoa(i)+"]", "Invalid enabled_events[%d]: %q is not an event type (such as invoice.paid) or *.", i, apierr.Clip(e, 60))
		}
	}
	return nil
}

// maxWebhookEndpoints is how many webhook endpoints an account holds, as
// Stripe allows ("You can register up to 16 webhook endpoints on each Stripe
// account").
const maxWebhookEndpoints = 16

func createWebhookEndpoint(c *call) (jsonobj.Obj, error) {
	p := c.params
	if n, err := c.tx.Count(tWebhookEndpoints); err != nil {
		return nil, err
	} else if n >= maxWebhookEndpoints {
		return nil, apierr.Limit("You have reached the maximum of %d webhook endpoints on this account. Delete one you no longer need (DELETE /v1/webhook_endpoints/{id}) before you create another.", maxWebhookEndpoints)
	}
	w := &webhookEndpoint{Meta: c.newMeta("we"), Secret: "whsec_" + store.RandomString(32), Metadata: map[string]string{}}
	w.URL, _ = p.String("url")
	if err := checkWebhookURL(w.URL); err != nil {
		return nil, err
	}
	w.Events = p.Strings("enabled_events")
	if err := checkEnabledEvents(w.Events); err != nil {
		return nil, err
	}
	if v, ok := p.String("api_version"); ok {
		if _, known := apiversion.Parse(v); !known {
			return nil, apierr.InvalidEnum("api_version", apiversion.Names())
		}
		w.APIVersion = v
	}
	w.Description, _ = p.String("description")
	md, err := metadata.Apply(w.Metadata, decodeMetadata(p, "metadata"))
	if err != nil {
		return nil, err
	}
	w.Metadata = md
	if err := c.tx.Put(tWebhookEndpoints, w); err != nil {
		return nil, err
	}
	o := c.renderWebhookEndpoint(w)
	o.Set("secret", w.Secret)
	return o, nil
}

func (c *call) getWebhookEndpoint(id string) (*webhookEndpoint, error) {
	return getRecord[*webhookEndpoint](c.tx, tWebhookEndpoints, "webhook endpoint", id, "id")
}

func retrieveWebhookEndpoint(c *call) (jsonobj.Obj, error) {
	w, err := c.getWebhookEndpoint(c.pathID())
	if err != nil {
		return nil, err
	}
	return c.renderWebhookEndpoint(w), nil
}

func updateWebhookEndpoint(c *call) (jsonobj.Obj, error) {
	p := c.params
	cur, err := c.getWebhookEndpoint(c.pathID())
	if err != nil {
		return nil, err
	}
	w := cur.clone()
	if v, ok := p.String("url"); ok {
		if err := checkWebhookURL(v); err != nil {
			return nil, err
		}
		w.URL = v
	}
	if p.Has("enabled_events") {
		w.Events = p.Strings("enabled_events")
		if err := checkEnabledEvents(w.Events); err != nil {
			return nil, err
		}
	}
	if v, ok := p.Bool("disabled"); ok {
		w.Disabled = v
	}
	if v, ok := p.String("description"); ok {
		w.Description = v
	}
	if w.Metadata, err = metadata.Apply(w.Metadata, decodeMetadata(p, "metadata")); err != nil {
		return nil, err
	}
	if err := c.tx.Put(tWebhookEndpoints, w); err != nil {
		return nil, err
	}
	return c.renderWebhookEndpoint(w), nil
}

func deleteWebhookEndpoint(c *call) (jsonobj.Obj, error) {
	w, err := c.getWebhookEndpoint(c.pathID())
	if err != nil {
		return nil, err
	}
	if err := c.tx.Remove(tWebhookEndpoints, w); err != nil {
		return nil, err
	}
	return jsonobj.Obj{{K: "id", V: w.ID}, {K: "object", V: "webhook_endpoint"}, {K: "deleted", V: true}}, nil
}

func listWebhookEndpoints(c *call) (jsonobj.Obj, error) {
	return c.list(tWebhookEndpoints, "webhook endpoint", "/v1/webhook_endpoints", nil, func(r store.Record) (jsonobj.Obj, error) {
		return c.renderWebhookEndpoint(r.(*webhookEndpoint)), nil
	})
}

func (rc *renderCtx) renderWebhookEndpoint(w *webhookEndpoint) jsonobj.Obj {
	status := webhookEndpointEnabled
	if w.Disabled {
		status = webhookEndpointDisabled
	}
	return jsonobj.Obj{
		{K: "id", V: w.ID},
		{K: "object", V: "webhook_endpoint"},
		{K: "api_version", V: orNull(w.APIVersion)},
		{K: "application", V: nil},
		{K: "created", V: w.Created},
		{K: "description", V: orNull(w.Description)},
		{K: "enabled_events", V: w.Events},
		{K: "livemode", V: false},
		{K: "metadata", V: metadataOf(w.Metadata)},
		{K: "status", V: string(status)},
		{K: "url", V: w.URL},
	}
}

// publish records events in the account's log and queues their deliveries.
// It never waits on a webhook receiver.
func (s *Server) publish(acct *account, evs []*eventRecord) {
	if len(evs) == 0 || acct == nil {
		return
	}
	acct.events.append(evs)
	s.hooks.dispatch(acct, evs)
}

// Webhook delivery: one queue per endpoint, delivered in order by its own
// goroutine, retried with exponential backoff; a down or slow receiver only
// holds up its own queue.

// WebhookOptions configure deliveries.
type WebhookOptions struct {
	// ForwardURL receives every event of every account, signed with
	// ForwardSecret (like stripe listen --forward-to).
	ForwardURL    string
	ForwardSecret string
	// RetryBase is the first retry's delay (default 1s), doubling each time up
	// to an hour; MaxAttempts (default 10) bounds the tries of one event.
	RetryBase   time.Duration
	MaxAttempts int
	// Timeout bounds one delivery attempt (default 10s).
	Timeout time.Duration
	// MaxQueue bounds an endpoint's undelivered events (default 10,000); the
	// oldest are dropped beyond it.
	MaxQueue int
	// MaxQueueTotalBytes bounds what the undelivered events of every queue
	// hold together (default 256 MiB; an event still in its account's log
	// counts there too): past it, the queues holding the most drop their
	// oldest (the one being tried aside).
	MaxQueueTotalBytes int64
}

// defaultWebhookQueueBytes is the default of WebhookOptions.MaxQueueTotalBytes.
const defaultWebhookQueueBytes = 256 << 20

type webhooks struct {
	s      *Server
	opts   WebhookOptions
	client *http.Client
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	queues map[string]*deliveryQueue
	// budget bounds every queue's undelivered events together.
	budget *budget
}

type delivery struct {
	acct *account
	ev   *eventRecord
	v    apiversion.Version // the rendering it delivers
	size int64              // what it holds: the event and its slot
}

// reset reports whether the delivery's account was reset: what is still
// queued for it is dropped (rather than retried for minutes, holding the
// whole account in memory).
func (d delivery) reset() bool {
	select {
	case <-d.acct.gone:
		return true
	default:
		return false
	}
}

type deliveryQueue struct {
	key         string
	url, secret string
	mu          sync.Mutex
	items       []delivery
	// share.bytes is the items' sizes; share.closed says the queue's
	// goroutine has ended.
	share budgetShare
}

func (q *deliveryQueue) held() int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.share.bytes
}

// shed drops the oldest deliveries until at least n bytes are freed, but
// never the first, which its goroutine may be trying.
func (q *deliveryQueue) shed(n int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) < 2 {
		return
	}
	k := oldestToFree(n, len(q.items)-1, func(i int) int64 { return q.items[i+1].size })
	for _, d := range q.items[1 : 1+k] {
		d.ev.pending.Add(-1)
		q.share.grow(-d.size)
	}
	q.items = append(q.items[:1:1], q.items[1+k:]...)
}

func (q *deliveryQueue) open() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return !q.share.closed
}

func newWebhooks(s *Server, opts WebhookOptions) *webhooks {
	if opts.RetryBase <= 0 {
		opts.RetryBase = time.Second
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 10
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.MaxQueue <= 0 {
		opts.MaxQueue = 10_000
	}
	if opts.MaxQueueTotalBytes <= 0 {
		opts.MaxQueueTotalBytes = defaultWebhookQueueBytes
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &webhooks{s: s, opts: opts, client: &http.Client{Timeout: opts.Timeout}, ctx: ctx, cancel: cancel, queues: map[string]*deliveryQueue{},
		budget: newBudget(opts.MaxQueueTotalBytes)}
}

// dispatch queues events for the account's endpoints that want them and for the
// forward URL.
func (h *webhooks) dispatch(acct *account, evs []*eventRecord) {
	gen, usable := acct.catalog.readGen() // before the snapshot: see catalog
	eps, cached := []*webhookEndpoint(nil), false
	if usable {
		eps, cached = acct.catalog.endpoints(gen)
	}
	if !cached {
		tx := acct.db.Read()
		if err := tx.All(tWebhookEndpoints, func(r store.Record) bool {
			eps = append(eps, r.(*webhookEndpoint))
			return true
		}); err != nil {
			h.s.log.Error("listing webhook endpoints", "error", err.Error())
		}
		tx.Abort()
		if usable {
			acct.catalog.putEndpoints(gen, eps)
		}
	}
	if len(eps) == 0 && h.opts.ForwardURL == "" {
		return
	}
	for _, ev := range evs {
		size := eventBytes(ev) + 24 // the event, and the delivery's slot
		for _, ep := range eps {
			if !ep.wants(ev.typ) {
				continue
			}
			v, pinned := ep.version()
			if !pinned {
				if v = ev.version; !apiversion.EventAt(ev.typ, h.s.accountVersion(acct)) {
					continue // rendered for the endpoints whose version has it only
				}
			}
			if _, ok := ev.at(v); !ok {
				continue // an endpoint made after the event: it was not to receive it
			}
			ev.pending.Add(1)
			h.enqueue(acct.key+"/"+ep.ID, ep.URL, ep.Secret, delivery{acct, ev, v, size})
		}
		if h.opts.ForwardURL != "" {
			h.enqueue("forward", h.opts.ForwardURL, h.opts.ForwardSecret, delivery{acct, ev, ev.version, size})
		}
	}
}

// enqueue adds a delivery to the queue of key (an endpoint of an account),
// starting its goroutine if it has none. A queue's goroutine ends once the queue
// is empty, so that deleted endpoints and reset accounts leave nothing behind;
// a changed URL or secret starts a new queue (the old one drains first).
func (h *webhooks) enqueue(key, url, secret string, d delivery) {
	h.mu.Lock()
	q := h.queues[key]
	fresh := q == nil || q.url != url || q.secret != secret
	if fresh {
		q = &deliveryQueue{key: key, url: url, secret: secret, share: budgetShare{budget: h.budget}}
		h.queues[key] = q
		h.wg.Add(1)
		go h.run(q)
	}
	q.mu.Lock()
	q.items = append(q.items, d)
	q.share.grow(d.size)
	if over := len(q.items) - h.opts.MaxQueue; over > 0 {
		// The oldest but the first, which the queue's goroutine may be
		// trying (and pops when done).
		h.s.log.Warn("webhook queue full: dropping the oldest events", "url", q.url, "dropped", over)
		for _, dropped := range q.items[1 : 1+over] {
			dropped.ev.pending.Add(-1)
			q.share.grow(-dropped.size)
		}
		q.items = append(q.items[:1:1], q.items[1+over:]...)
	}
	q.mu.Unlock()
	h.mu.Unlock()
	if fresh {
		h.budget.join(q)
	}
	h.budget.enforce()
}

// retire ends an empty queue's goroutine: it reports false if an item arrived
// meanwhile.
func (h *webhooks) retire(q *deliveryQueue) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) > 0 {
		return false
	}
	if h.queues[q.key] == q {
		delete(h.queues, q.key)
	}
	q.share.closed = true // nothing left to release
	return true
}

func (q *deliveryQueue) head() (delivery, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) == 0 {
		return delivery{}, false
	}
	return q.items[0], true
}

func (q *deliveryQueue) pop() {
	q.mu.Lock()
	q.share.grow(-q.items[0].size)
	q.items[0] = delivery{}
	q.items = q.items[1:]
	q.mu.Unlock()
}

// run delivers a queue's events in order until it is empty or the server closes.
func (h *webhooks) run(q *deliveryQueue) {
	defer h.wg.Done()
	for {
		d, ok := q.head()
		if !ok {
			if h.retire(q) {
				h.budget.leave(q, func() {})
				return
			}
			continue
		}
		delay := h.opts.RetryBase
		for attempt := 1; ; attempt++ {
			if d.reset() || h.deliver(q, d) {
				d.ev.pending.Add(-1)
				break
			}
			if attempt >= h.opts.MaxAttempts {
				h.s.log.Warn("webhook delivery failed: giving up", "url", q.url, "event", d.ev.id, "attempts", attempt)
				d.ev.pending.Add(-1)
				break
			}
			select {
			case <-time.After(delay):
			case <-d.acct.gone: // dropped at the next turn
			case <-h.ctx.Done():
				return
			}
			delay = min(delay*2, time.Hour)
		}
		q.pop()
	}
}

// deliver POSTs one event, signed as Stripe signs them; true on a 2xx.
func (h *webhooks) deliver(q *deliveryQueue, d delivery) bool {
	r, _ := d.ev.at(d.v)
	body := jsonobj.Marshal(h.s.eventObjectAs(d.ev, r, false))
	req, err := http.NewRequestWithContext(h.ctx, "POST", q.url, bytes.NewReader(body))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
	req.Header.Set("Stripe-Signature", SignPayload(body, q.secret, time.Now()))
	resp, err := h.client.Do(req)
	if err != nil {
		h.s.log.Warn("webhook delivery failed", "url", q.url, "event", d.ev.id, "error", err.Error())
		return false
	}
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		h.s.log.Warn("webhook delivery refused", "url", q.url, "event", d.ev.id, "status", resp.StatusCode)
		return false
	}
	return true
}

// close stops deliveries (undelivered events are dropped).
func (h *webhooks) close() {
	h.cancel()
	h.wg.Wait()
}

// SignPayload is the Stripe-Signature header of a payload: t=<unix>,v1=<hex
// HMAC-SHA256 of "t.payload" keyed with the whole secret, whsec_ included>.
func SignPayload(payload []byte, secret string, at time.Time) string {
	t := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(t))
	mac.Write([]byte("."))
	mac.Write(payload)
	return "t=" + t + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// RandomSecret is 32 random base62 characters, for a whsec_ secret.
func RandomSecret() string { return store.RandomString(32) }
