package billing

// Attrs is a value the engine carries but never reads: a customer's address,
// shipping and invoice settings, and their copies on an invoice. Whoever sets
// it (server, with its own JSON objects) reads it back; the engine only
// copies it. The state file writes these fields through server's codecs.
type Attrs struct{ v any }

// AttrsOf holds v (nil: the zero Attrs, which holds nothing).
func AttrsOf(v any) Attrs { return Attrs{v: v} }

// Value is what Attrs holds (nil for the zero Attrs).
func (a Attrs) Value() any { return a.v }
