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
	for n > 0 {
		x := rand.Uint64()
		for i := 0; i < 10 && n > 0; i++ { // 62^10 < 2^64
			b = append(b, base62[x%62])
			x /= 62
			n--
		}
	}
	return string(b)
}

// RandomString returns n random base62 characters.
func RandomString(n int) string { return RandomID("", n)[1:] }
