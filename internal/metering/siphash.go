package metering

import (
	"encoding/binary"
	"math/bits"
)

// sipHash128 is SipHash-2-4 with a 128-bit output (Aumasson and Bernstein) of s
// under the key (k0, k1): a keyed pseudo-random function, the same on every
// machine and Go version, so that identifier hashes can be saved and still
// match after a restart (hash/maphash's seeds cannot be saved, and its output
// differs between platforms).
func sipHash128(k0, k1 uint64, s string) key {
	v0 := k0 ^ 0x736f6d6570736575
	v1 := k1 ^ 0x646f72616e646f6d ^ 0xee
	v2 := k0 ^ 0x6c7967656e657261
	v3 := k1 ^ 0x7465646279746573
	n := len(s)
	for len(s) >= 8 {
		m := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
		v3 ^= m
		v0, v1, v2, v3 = sipRound(sipRound(v0, v1, v2, v3))
		v0 ^= m
		s = s[8:]
	}
	var tail [8]byte
	copy(tail[:], s)
	m := binary.LittleEndian.Uint64(tail[:]) | uint64(n)<<56
	v3 ^= m
	v0, v1, v2, v3 = sipRound(sipRound(v0, v1, v2, v3))
	v0 ^= m
	v2 ^= 0xee
	v0, v1, v2, v3 = sipRound(sipRound(v0, v1, v2, v3))
	v0, v1, v2, v3 = sipRound(sipRound(v0, v1, v2, v3))
	h0 := v0 ^ v1 ^ v2 ^ v3
	v1 ^= 0xdd
	v0, v1, v2, v3 = sipRound(sipRound(v0, v1, v2, v3))
	v0, v1, v2, v3 = sipRound(sipRound(v0, v1, v2, v3))
	h1 := v0 ^ v1 ^ v2 ^ v3
	return key{h0, h1}
}

func sipRound(v0, v1, v2, v3 uint64) (uint64, uint64, uint64, uint64) {
	v0 += v1
	v1 = bits.RotateLeft64(v1, 13)
	v1 ^= v0
	v0 = bits.RotateLeft64(v0, 32)
	v2 += v3
	v3 = bits.RotateLeft64(v3, 16)
	v3 ^= v2
	v0 += v3
	v3 = bits.RotateLeft64(v3, 21)
	v3 ^= v0
	v2 += v1
	v1 = bits.RotateLeft64(v1, 17)
	v1 ^= v2
	v2 = bits.RotateLeft64(v2, 32)
	return v0, v1, v2, v3
}
