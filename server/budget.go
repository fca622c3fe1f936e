package server

import (
	"cmp"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
)

// budget bounds the bytes that many holders keep together: every account's
// failed-request log, every account's idempotency keys, or every account's
// event log and meter error reports. Each holder bounds itself too; past
// the budget's limit, the holders that keep the most drop their oldest
// entries until the total is back under 7/8 of the limit (so that the next
// shedding is a while away): the largest is cut down to the size of the
// next, then both to that of the third, and so on, so that holders of equal
// size share the cut rather than one of them losing everything, and a
// holder that keeps little keeps it.
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
	over := b.used.Load() - target
	var sum int64
	for k := 1; k <= len(all); k++ {
		sum += all[k-1].n
		next := int64(0)
		if k < len(all) {
			next = all[k].n
		}
		if sum-int64(k)*next < over && k < len(all) {
			continue // cutting the k largest down to the next frees too little
		}
		level := max((sum-over)/int64(k), 0) // at least next
		for _, x := range all[:k] {
			if x.n > level {
				x.h.shed(x.n - level)
			}
		}
		return
	}
}

// treeBytes is about what a response tree (jsonobj) holds on the heap: each
// object's fields (a key and an interface, 32 bytes), each slice's elements,
// and each value boxed in an interface (a string's header and bytes, a
// number's 8). Keys and strings the code writes as constants cost nothing
// in fact; counting them overstates a little, on the safe side.
func treeBytes(v any) int64 {
	switch x := v.(type) {
	case nil, bool:
		return 0
	case string:
		return 16 + allocBytes(len(x))
	case jsonobj.Decimal:
		return 16 + allocBytes(len(x))
	case jsonobj.Raw:
		return 24 + allocBytes(cap(x))
	case jsonobj.Obj:
		n := 24 + allocBytes(32*cap(x))
		for _, f := range x {
			n += allocBytes(len(f.K)) + treeBytes(f.V)
		}
		return n
	case []jsonobj.Obj:
		n := 24 + allocBytes(24*cap(x))
		for _, o := range x {
			n += treeBytes(o) - 24 // the slice header is in its element
		}
		return n
	case []any:
		n := 24 + allocBytes(16*cap(x))
		for _, e := range x {
			n += treeBytes(e)
		}
		return n
	case jsonobj.Hidden:
		return 32 + treeBytes(x.V)
	}
	return 16 // a number or a pointer, boxed
}

// budgetShare is a holder's part of its budget: what it holds, whether it
// has joined, whether it is closed. Its methods run under the holder's own
// lock; the holder calls budget.join (when joining says so) and
// budget.enforce after releasing it.
type budgetShare struct {
	budget *budget
	bytes  int64
	joined bool // registered with the budget
	closed bool // the account is gone: keep nothing
}

func (s *budgetShare) grow(n int64) {
	s.bytes += n
	s.budget.used.Add(n)
}

// joining reports whether the holder, which now keeps entries (has), is to
// join the budget: once, and never once closed.
func (s *budgetShare) joining(has bool) bool {
	join := has && !s.joined && !s.closed
	s.joined = s.joined || join
	return join
}

// release closes the share: what it held leaves the budget's count.
func (s *budgetShare) release() {
	s.closed = true
	s.grow(-s.bytes)
}

// oldestToFree is how many of the oldest of n entries (sizes by age) free at
// least want bytes, or all of them.
func oldestToFree(want int64, n int, size func(int) int64) int {
	k := 0
	for freed := int64(0); freed < want && k < n; k++ {
		freed += size(k)
	}
	return k
}
