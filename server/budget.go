package server

import (
	"cmp"
	"slices"
	"sync"
	"sync/atomic"
)

// budget bounds the bytes that many holders keep together: every account's
// failed-request log, or every account's idempotency keys. Each holder bounds
// itself too; past the budget's limit, the holders that keep the most drop
// their oldest entries, the largest first, until the total is back under
// 7/8 of the limit (so that the next shedding is a while away).
type budget struct {
	limit int64
	used  atomic.Int64
	// mu is taken before any holder's own lock, never after: holders change
	// used under their own lock (an atomic add), and call join and enforce
	// only when they hold no lock.
	mu      sync.Mutex
	holders map[budgetHolder]struct{}
}

// budgetHolder is what a budget bounds: an account's request log or
// idempotency store.
type budgetHolder interface {
	// held is what the holder keeps now, in bytes.
	held() int64
	// shed drops the holder's oldest entries, as many as it can until it has
	// freed at least n bytes.
	shed(n int64)
	// open reports whether the holder still keeps entries (false once its
	// account is gone).
	open() bool
}

func newBudget(limit int64) *budget {
	return &budget{limit: limit, holders: map[budgetHolder]struct{}{}}
}

// join registers a holder that has started keeping entries; a holder that is
// already closed is left out.
func (b *budget) join(h budgetHolder) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if h.open() {
		b.holders[h] = struct{}{}
	}
}

// leave forgets a holder; close, run under the budget's lock, drops what it
// keeps (and takes it off used) and makes it keep nothing more.
func (b *budget) leave(h budgetHolder, close func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.holders, h)
	close()
}

// enforce sheds, largest holders first, while the total is over the limit.
func (b *budget) enforce() {
	if b.used.Load() <= b.limit {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	target := b.limit - b.limit/8
	if b.used.Load() <= target {
		return // another caller shed meanwhile
	}
	type sized struct {
		h budgetHolder
		n int64
	}
	all := make([]sized, 0, len(b.holders))
	for h := range b.holders {
		all = append(all, sized{h, h.held()})
	}
	slices.SortFunc(all, func(x, y sized) int { return cmp.Compare(y.n, x.n) })
	for _, x := range all {
		over := b.used.Load() - target
		if over <= 0 {
			return
		}
		x.h.shed(over)
	}
}
