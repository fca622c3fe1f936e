package store

import "math/rand/v2"

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// NewID returns prefix + "_" + 24 random base62 characters, like Stripe's IDs
// (cus_NffrFeUfNV2Hib...). The generator is seeded by the runtime and safe for
// concurrent use.
func NewID(prefix string) string { return RandomID(prefix, 24) }

// RandomID returns prefix + "_" + n random base62 characters.
func RandomID(prefix string, n int) string {
	b := make([]byte, 0, len(prefix)+1+n)
	b = append(b, prefix...)
	b = append(b, '_')
	return string(appendRandom62(b, n))
}

// appendRandom62 appends n random base62 characters.
func appendRandom62(b []byte, n int) []byte {
	for n > 0 {
		x := rand.Uint64()
		for i := 0; i < 10 && n > 0; i++ { // 62^10 < 2^64
			b = append(b, base62[x%62])
			x /= 62
			n--
		}
	}
	return b
}

// RandomString returns n random base62 characters.
func RandomString(n int) string { return RandomID("", n)[1:] }

// SortableID returns prefix + "_" + 24 base62 characters that sort (as bytes)
// in the order of (created, seq): 7 characters of created (offset so that
// times back to 1000 years before 1970 stay positive), 6 of seq, and 11
// random ones. Lists are ordered by these IDs.
func SortableID(prefix string, created int64, seq uint64) string {
	b := make([]byte, 0, len(prefix)+25)
	b = append(b, prefix...)
	b = append(b, '_')
	b = appendFixed62(b, uint64(created+sortableEpoch), 7)
	b = appendFixed62(b, seq, 6)
	x := rand.Uint64()
	for i := 0; i < 11; i++ {
		b = append(b, base62[x%62])
		x /= 62
	}
	return string(b)
}

// sortableEpoch shifts created times so that any time after the year 970 is positive.
const sortableEpoch = 1000 * 366 * 86400

func appendFixed62(b []byte, v uint64, width int) []byte {
	var tmp [11]byte
	for i := width - 1; i >= 0; i-- {
		tmp[i] = base62[v%62]
		v /= 62
	}
	return append(b, tmp[:width]...)
}

// SequenceID returns prefix + "_" + n characters: a sequence number in width
// base62 characters, then random ones. IDs of one sequence sort in its order.
func SequenceID(prefix string, seq uint64, width, n int) string {
	b := make([]byte, 0, len(prefix)+1+n)
	b = append(b, prefix...)
	b = append(b, '_')
	b = appendFixed62(b, seq, width)
	return string(appendRandom62(b, n-width))
}

// SequenceOf reads the sequence number of an ID made by SequenceID (false if
// id does not have the prefix or its characters are not base62).
func SequenceOf(id, prefix string, width int) (uint64, bool) {
	if len(id) < len(prefix)+1+width || id[:len(prefix)] != prefix || id[len(prefix)] != '_' {
		return 0, false
	}
	var v uint64
	for _, c := range []byte(id[len(prefix)+1 : len(prefix)+1+width]) {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'A' && c <= 'Z':
			d = c - 'A' + 10
		case c >= 'a' && c <= 'z':
			d = c - 'a' + 36
		default:
			return 0, false
		}
		v = v*62 + uint64(d)
	}
	return v, true
}
