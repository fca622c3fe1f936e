package server

import (
	"container/heap"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stripe-emulator/stripe-emulator/internal/billing"
)

// The tick runs, every interval, what the emulator's clock has made due for
// objects that are not on a test clock (renewals, finalizations, notices,
// overdue invoices), and the upkeep of each account's usage (expiry of
// per-event records, compaction) and idempotency keys (expiry). It visits
// only the accounts whose next such moment has come: a scheduler keeps the
// accounts in a heap by that moment, so an idle emulator with any number of
// accounts does next to nothing each second.
//
// An account's moment is asked for (wakeAt) by what makes work for later: a
// commit that changes a subscription's or an invoice's next transition, a
// meter event (its record expires after the retention), an idempotency key
// (after its TTL), a state load (every account, once). A visit runs what is
// due and asks for the account's next moment. An early visit is harmless; a
// late one never happens, because every change that can make work earlier
// asks for its time.

// wakeSlot is an account's place in the scheduler.
type wakeSlot struct {
	// at is when the account is to be visited (unix seconds on the emulator's
	// clock); 0 when it is not scheduled. Written under scheduler.mu, read
	// without it by wakeAt's fast path.
	at atomic.Int64
	// idx is its index in the heap plus one (0: not in it), under scheduler.mu.
	idx int
	// gone marks an account that was reset: it is never scheduled again.
	gone bool
}

// scheduler holds the accounts with work to come, by when it comes.
type scheduler struct {
	mu   sync.Mutex
	heap wakeHeap
}

type wakeHeap []*account

func (h wakeHeap) Len() int           { return len(h) }
func (h wakeHeap) Less(i, j int) bool { return h[i].wake.at.Load() < h[j].wake.at.Load() }
func (h wakeHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].wake.idx, h[j].wake.idx = i+1, j+1
}
func (h *wakeHeap) Push(x any) {
	a := x.(*account)
	a.wake.idx = len(*h) + 1
	*h = append(*h, a)
}
func (h *wakeHeap) Pop() any {
	old := *h
	a := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	a.wake.idx = 0
	return a
}

// wakeAt asks for a visit of the account at or after at; an earlier visit
// already asked for stands. It costs an atomic load when one is.
func (sc *scheduler) wakeAt(acct *account, at int64) {
	at = max(at, 1) // 0 means "not scheduled"
	w := &acct.wake
	if cur := w.at.Load(); cur != 0 && cur <= at {
		return
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if cur := w.at.Load(); w.gone || cur != 0 && cur <= at {
		return
	}
	w.at.Store(at)
	if w.idx > 0 {
		heap.Fix(&sc.heap, w.idx-1)
	} else {
		heap.Push(&sc.heap, acct)
	}
}

// due takes the accounts whose time has come out of the heap. Their slots
// read "not scheduled" from then on, so that whatever asks for a visit while
// one runs is heard.
func (sc *scheduler) due(now int64) []*account {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	var out []*account
	for len(sc.heap) > 0 && sc.heap[0].wake.at.Load() <= now {
		a := heap.Pop(&sc.heap).(*account)
		a.wake.at.Store(0)
		out = append(out, a)
	}
	return out
}

// remove takes a reset account out of the schedule for good.
func (sc *scheduler) remove(acct *account) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	acct.wake.gone = true
	if acct.wake.idx > 0 {
		heap.Remove(&sc.heap, acct.wake.idx-1)
	}
	acct.wake.at.Store(0)
}

// scheduled is how many accounts wait for a visit (tests).
func (sc *scheduler) scheduled() int {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return len(sc.heap)
}

// tickLoop runs the tick every interval until the server closes.
func (s *Server) tickLoop(interval time.Duration) {
	defer close(s.tickDone)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.stopTick:
			return
		case <-t.C:
			s.tick()
		}
	}
}

// tick visits the accounts whose time has come, up to the emulator's current
// time.
func (s *Server) tick() {
	now := s.clock.Now().Unix()
	for _, acct := range s.sched.due(now) {
		s.visit(acct, now)
	}
}

// visit runs an account's due work and upkeep, and schedules its next visit.
func (s *Server) visit(acct *account, now int64) {
	if err := s.runDue(acct); err != nil {
		s.log.Error("running due work", "error", err.Error())
	}
	acct.usage.Maintain(now)
	acct.idem.expireAt(now)
	next, ok, err := s.nextWake(acct, now)
	if err != nil {
		s.log.Error("scheduling due work", "error", err.Error())
		next, ok = now+1, true // try again in a second, as the tick always did
	}
	if ok {
		s.sched.wakeAt(acct, next)
	}
}

// nextWake is when an account next has work: a transition, usage upkeep or
// an idempotency key's expiry (ok false: none).
func (s *Server) nextWake(acct *account, now int64) (int64, bool, error) {
	rd := acct.db.Read()
	next, ok, err := billing.FirstDue(rd)
	rd.Abort()
	if err != nil {
		return 0, false, err
	}
	soonest := func(at int64, has bool) {
		if has && (!ok || at < next) {
			next, ok = at, true
		}
	}
	soonest(acct.usage.NextMaintenance(now))
	soonest(acct.idem.nextExpiry())
	return next, ok, nil
}

// scheduleChanges asks for a visit at the earliest transition a commit's
// changes set (after the commit, so that the visit sees them).
func (s *Server) scheduleChanges(acct *account, muts []mutation) {
	for _, m := range muts {
		if at, ok := billing.DueTime(m.after); ok {
			s.sched.wakeAt(acct, at)
		}
	}
}

// scheduleUsage asks for the visit a meter event or a cancellation needs:
// when the records received now expire, or at once while the compaction an
// expiry started is under way (it goes on a bounded amount each visit).
func (c *call) scheduleUsage() {
	at := c.unix() + c.acct.usage.Retention()
	if c.acct.usage.Compacting() {
		at = c.unix()
	}
	c.s.sched.wakeAt(c.acct, at)
}

// runDue runs an account's due work, in one write transaction, if any is
// due: a unit of work of its own, with no request.
func (s *Server) runDue(acct *account) error {
	now := s.clock.Now().Unix()
	rd := acct.db.Read()
	at, ok, err := billing.FirstDue(rd)
	rd.Abort()
	if err != nil || !ok || at > now {
		return err
	}
	tx := acct.db.Write()
	defer tx.Abort()
	log := &changeLog{s: s, acct: acct, rc: &renderCtx{tx: tx}}
	u := &billing.Unit{}
	u.Init(tx, acct.usage, acct, now, log)
	acct.billingSettings(u)
	if err := billing.RunDue(u, "", now); err != nil {
		return err
	}
	return s.commitChanges(acct, u, log, origin{})
}
