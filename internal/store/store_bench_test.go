package store

import (
	"testing"
)

type rec struct {
	Meta
	Email string
}

func BenchmarkInsert(b *testing.B) {
	for _, tc := range []struct {
		name    string
		indexes []Index
	}{
		{"id+order", nil},
		{"id+order+email", []Index{{Name: "email", Keys: func(r Record) []string { return []string{r.(*rec).Email} }}}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			db, err := New(Table{Name: "t", Indexes: tc.indexes})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				tx := db.Write()
				r := &rec{Meta: Meta{ID: NewID("cus"), Created: 1700000000 + int64(i/1000), Seq: uint64(i + 1)}, Email: "a@example.com"}
				if err := tx.Put("t", r); err != nil {
					b.Fatal(err)
				}
				tx.Commit()
			}
		})
	}
}
