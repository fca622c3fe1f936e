package store

// btree is a copy-on-write B+tree of records ordered by a string key. A tree
// value is a snapshot: it never changes. A write transaction (gen) changes a
// tree by copying the nodes on the path it touches, once: the copies carry its
// gen, and it changes those in place until it ends, so a transaction that
// inserts many records copies each node once. Every later transaction has a
// new gen, so the nodes it did not copy, which older snapshots share, are
// never written again.
//
// Appends (a key past every other, as sortable IDs are) split a full node by
// starting a new one, which keeps nodes full; other inserts split it in half.
// Deletes drop empty nodes without rebalancing: a tree only gets as deep as it
// once was.
type btree struct {
	root *bnode
	size int
}

// fanout is the most entries a node has. A write copies one node per level,
// all of it: eight entries keep a copy to about 350 bytes, and a tree of a
// million records six levels deep.
const fanout = 8

type bnode struct {
	gen  uint64
	n    int
	leaf bool
	keys [fanout]string // leaf: the records' keys; inner: the smallest key under each child
	recs [fanout]Record // leaf only
	kids [fanout]*bnode // inner only
}

// writable is n itself if gen made it, else a copy that gen may change.
func (n *bnode) writable(gen uint64) *bnode {
	if n.gen == gen {
		return n
	}
	c := *n
	c.gen = gen
	return &c
}

// search is the first index whose key is not below key (n.n if none is).
func (n *bnode) search(key string) int {
	lo, hi := 0, n.n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if n.keys[m] < key {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// child is the index of the child whose range holds key.
func (n *bnode) child(key string) int {
	i := n.search(key)
	if i < n.n && n.keys[i] == key {
		return i
	}
	if i > 0 {
		i--
	}
	return i
}

func (t btree) get(key string) Record {
	n := t.root
	for n != nil {
		if n.leaf {
			if i := n.search(key); i < n.n && n.keys[i] == key {
				return n.recs[i]
			}
			return nil
		}
		n = n.kids[n.child(key)]
	}
	return nil
}

// set inserts or replaces the record under key, and returns the new tree and
// the record it replaced (nil for an insert).
func (t btree) set(gen uint64, key string, r Record) (btree, Record) {
	if t.root == nil {
		root := &bnode{gen: gen, leaf: true, n: 1}
		root.keys[0], root.recs[0] = key, r
		return btree{root: root, size: 1}, nil
	}
	root, split, old := t.root.set(gen, key, r)
	if split != nil {
		nr := &bnode{gen: gen, n: 2}
		nr.keys[0], nr.kids[0] = root.keys[0], root
		nr.keys[1], nr.kids[1] = split.keys[0], split
		root = nr
	}
	if old == nil {
		t.size++
	}
	return btree{root: root, size: t.size}, old
}

// set puts the record into the subtree, returning its new root, the new right
// sibling if it split, and the replaced record.
func (n *bnode) set(gen uint64, key string, r Record) (*bnode, *bnode, Record) {
	if n.leaf {
		i := n.search(key)
		if i < n.n && n.keys[i] == key {
			w := n.writable(gen)
			old := w.recs[i]
			w.recs[i] = r
			return w, nil, old
		}
		w, right := n.insertAt(gen, i, key, r, nil)
		return w, right, nil
	}
	i := n.child(key)
	kid, split, old := n.kids[i].set(gen, key, r)
	w := n.writable(gen)
	w.kids[i] = kid
	if key < w.keys[i] {
		w.keys[i] = key
	}
	if split == nil {
		return w, nil, old
	}
	w, right := w.insertAt(gen, i+1, split.keys[0], nil, split)
	return w, right, old
}

// insertAt inserts an entry (a record in a leaf, a child in an inner node) at
// index i, splitting the node if it is full.
func (n *bnode) insertAt(gen uint64, i int, key string, r Record, kid *bnode) (*bnode, *bnode) {
	w := n.writable(gen)
	if w.n < fanout {
		w.put(i, key, r, kid)
		return w, nil
	}
	right := &bnode{gen: gen, leaf: w.leaf}
	if i == fanout { // an append: the new entry starts the new node
		right.put(0, key, r, kid)
		return w, right
	}
	half := fanout / 2
	right.n = fanout - half
	copy(right.keys[:], w.keys[half:])
	copy(right.recs[:], w.recs[half:])
	copy(right.kids[:], w.kids[half:])
	w.clear(half, fanout)
	w.n = half
	if i <= half {
		w.put(i, key, r, kid)
	} else {
		right.put(i-half, key, r, kid)
	}
	return w, right
}

// put inserts an entry at i into a node that has room.
func (n *bnode) put(i int, key string, r Record, kid *bnode) {
	copy(n.keys[i+1:n.n+1], n.keys[i:n.n])
	copy(n.recs[i+1:n.n+1], n.recs[i:n.n])
	copy(n.kids[i+1:n.n+1], n.kids[i:n.n])
	n.keys[i], n.recs[i], n.kids[i] = key, r, kid
	n.n++
}

// clear zeroes entries [from, to), so that a node holds no stale pointers.
func (n *bnode) clear(from, to int) {
	clear(n.keys[from:to])
	clear(n.recs[from:to])
	clear(n.kids[from:to])
}

// remove deletes the entry at i from a writable node.
func (n *bnode) remove(i int) {
	copy(n.keys[i:], n.keys[i+1:n.n])
	copy(n.recs[i:], n.recs[i+1:n.n])
	copy(n.kids[i:], n.kids[i+1:n.n])
	n.n--
	n.clear(n.n, n.n+1)
}

// delete removes the record under key, and returns the new tree and the record
// removed (nil if there was none).
func (t btree) delete(gen uint64, key string) (btree, Record) {
	if t.root == nil {
		return t, nil
	}
	root, old := t.root.delete(gen, key)
	if old == nil {
		return t, nil
	}
	for root != nil && !root.leaf && root.n == 1 {
		root = root.kids[0]
	}
	if root != nil && root.n == 0 {
		root = nil
	}
	return btree{root: root, size: t.size - 1}, old
}

// delete removes key from the subtree; the new root is nil when it is empty.
func (n *bnode) delete(gen uint64, key string) (*bnode, Record) {
	if n.leaf {
		i := n.search(key)
		if i == n.n || n.keys[i] != key {
			return n, nil
		}
		old := n.recs[i]
		if n.n == 1 {
			return nil, old
		}
		w := n.writable(gen)
		w.remove(i)
		return w, old
	}
	i := n.child(key)
	kid, old := n.kids[i].delete(gen, key)
	if old == nil {
		return n, nil
	}
	if kid == nil && n.n == 1 {
		return nil, old
	}
	w := n.writable(gen)
	if kid == nil {
		w.remove(i)
	} else {
		w.kids[i], w.keys[i] = kid, kid.keys[0]
	}
	return w, old
}

// ascend calls fn on the records with keys above after (or at least after when
// inclusive), in ascending order, until fn returns false.
func (t btree) ascend(after string, inclusive bool, fn func(string, Record) bool) {
	if t.root != nil {
		t.root.ascend(after, inclusive, fn)
	}
}

func (n *bnode) ascend(after string, inclusive bool, fn func(string, Record) bool) bool {
	if n.leaf {
		i := n.search(after)
		if !inclusive && i < n.n && n.keys[i] == after {
			i++
		}
		for ; i < n.n; i++ {
			if !fn(n.keys[i], n.recs[i]) {
				return false
			}
		}
		return true
	}
	for i := n.child(after); i < n.n; i++ {
		if !n.kids[i].ascend(after, inclusive, fn) {
			return false
		}
	}
	return true
}

// descend calls fn on the records with keys below before (all of them when
// unbounded), in descending order, until fn returns false.
func (t btree) descend(before string, unbounded bool, fn func(string, Record) bool) {
	if t.root != nil {
		t.root.descend(before, unbounded, fn)
	}
}

func (n *bnode) descend(before string, unbounded bool, fn func(string, Record) bool) bool {
	if n.leaf {
		i := n.n
		if !unbounded {
			i = n.search(before)
		}
		for i--; i >= 0; i-- {
			if !fn(n.keys[i], n.recs[i]) {
				return false
			}
		}
		return true
	}
	i := n.n - 1
	if !unbounded {
		i = n.child(before)
	}
	for ; i >= 0; i-- {
		if !n.kids[i].descend(before, unbounded, fn) {
			return false
		}
	}
	return true
}
