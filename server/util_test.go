package server

import (
	"encoding/json"
	"strconv"
	"strings"
)

func repeat(s string, n int) string { return strings.Repeat(s, n) }

func contains2(s, sub string) bool { return strings.Contains(s, sub) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// all returns every account.
func (a *accounts) all() []*account {
	l, _ := a.list()
	return l
}
