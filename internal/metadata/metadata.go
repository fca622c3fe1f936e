// Package metadata is Stripe's metadata: the key-value pairs most objects
// carry, the change a request makes to them, and the limits Stripe documents.
//
// It knows no form decoding (package server decodes a request's metadata
// parameter into a Patch), so the billing engine can apply a Patch where a
// rule of its own needs the result.
package metadata

import (
	"maps"
	"unicode/utf8"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
)

// Limits on metadata, as Stripe documents them.
const (
	MaxKeys     = 50
	MaxKeyLen   = 40  // characters
	MaxValueLen = 500 // characters
)

// Patch is a request's change to a metadata map, as its parameter gave it:
// metadata= clears the map, metadata[k]= removes k, metadata[k]=v sets k.
// The zero Patch (the parameter not sent) changes nothing.
type Patch struct {
	Given bool              // the parameter was sent
	Clear bool              // it was sent empty (metadata=): every key goes
	Param string            // its path, which errors name: "metadata", "items[0][metadata]"
	Keys  map[string]string // each key sent, with its value; "" removes the key
}

// Apply returns cur changed by p, or the error Stripe gives for a key or value
// over its limit, an empty key, or more than MaxKeys keys in the result. The
// result is a new map whenever p was given; cur is never modified.
func Apply(cur map[string]string, p Patch) (map[string]string, error) {
	if !p.Given {
		return cur, nil
	}
	if p.Clear {
		return map[string]string{}, nil
	}
	out := maps.Clone(cur)
	if out == nil {
		out = map[string]string{}
	}
	for k, v := range p.Keys {
		if utf8.RuneCountInString(k) > MaxKeyLen {
			return nil, apierr.InvalidRequest("", p.Param, "Invalid key: %s must be a string under %d characters", k, MaxKeyLen)
		}
		if k == "" {
			return nil, apierr.InvalidRequest("", p.Param, "Invalid key: metadata keys cannot be empty")
		}
		if v == "" {
			delete(out, k)
			continue
		}
		if utf8.RuneCountInString(v) > MaxValueLen {
			return nil, apierr.InvalidRequest("", p.Param, "Invalid val: %s must be a string under %d characters", apierr.Clip(v, 50), MaxValueLen)
		}
		out[k] = v
	}
	if len(out) > MaxKeys {
		return nil, apierr.InvalidRequest("", p.Param, "Metadata can have up to %d keys, but you've set %d.", MaxKeys, len(out))
	}
	return out, nil
}
