package main

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// textHandler writes slog's text format, byte for byte as slog.TextHandler
// does, with a fast path for the record the emulator logs thousands of times a
// second (one per request): plain strings and numbers, no groups. Any other
// record, and any string that slog would quote, goes to slog.TextHandler
// itself (TestTextHandlerMatchesSlog).
type textHandler struct {
	slow  slog.Handler
	w     io.Writer
	level slog.Leveler
	bufs  sync.Pool
	// second caches the formatting of the current second's time.
	second atomic.Pointer[formattedSecond]
}

// formattedSecond is one second's time as slog writes it, split around the
// milliseconds: "2006-01-02T15:04:05" and "Z" (or "+01:00").
type formattedSecond struct {
	unix       int64
	loc        *time.Location
	head, zone string
}

func newTextHandler(w io.Writer, opts *slog.HandlerOptions) *textHandler {
	level := opts.Level
	if level == nil {
		level = slog.LevelInfo
	}
	return &textHandler{slow: slog.NewTextHandler(w, opts), w: w, level: level,
		bufs: sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}}
}

func (h *textHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

func (h *textHandler) WithAttrs(as []slog.Attr) slog.Handler { return h.slow.WithAttrs(as) }

func (h *textHandler) WithGroup(name string) slog.Handler { return h.slow.WithGroup(name) }

func (h *textHandler) Handle(ctx context.Context, r slog.Record) error {
	bp := h.bufs.Get().(*[]byte)
	defer h.bufs.Put(bp)
	b, ok := h.appendTextRecord((*bp)[:0], r)
	if !ok {
		return h.slow.Handle(ctx, r)
	}
	*bp = b
	_, err := h.w.Write(b)
	return err
}

// appendTextRecord formats r as slog.TextHandler would, or gives false.
func (h *textHandler) appendTextRecord(b []byte, r slog.Record) ([]byte, bool) {
	if !plainText(r.Message) {
		return b, false
	}
	if !r.Time.IsZero() {
		b = append(b, "time="...)
		b = h.appendTime(b, r.Time.Round(0))
		b = append(b, ' ')
	}
	b = append(b, "level="...)
	b = append(b, r.Level.String()...)
	b = append(b, " msg="...)
	b = append(b, r.Message...)
	ok := true
	r.Attrs(func(a slog.Attr) bool {
		if !plainText(a.Key) {
			ok = false
			return false
		}
		b = append(b, ' ')
		b = append(b, a.Key...)
		b = append(b, '=')
		switch v := a.Value; v.Kind() {
		case slog.KindString:
			if !plainText(v.String()) {
				ok = false
				return false
			}
			b = append(b, v.String()...)
		case slog.KindInt64:
			b = strconv.AppendInt(b, v.Int64(), 10)
		case slog.KindUint64:
			b = strconv.AppendUint(b, v.Uint64(), 10)
		case slog.KindFloat64:
			b = strconv.AppendFloat(b, v.Float64(), 'g', -1, 64)
		case slog.KindBool:
			b = strconv.AppendBool(b, v.Bool())
		default:
			ok = false
			return false
		}
		return true
	})
	if !ok {
		return b, false
	}
	return append(b, '\n'), true
}

// plainText reports whether slog writes s as is: non-empty printable ASCII
// without a space, '=' or '"'. (slog leaves a few more strings unquoted; they
// take the slow path.)
func plainText(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c > '~' || c == '=' || c == '"' {
			return false
		}
	}
	return true
}

// appendTime is appendRFC3339Millis, formatting each second once.
func (h *textHandler) appendTime(b []byte, t time.Time) []byte {
	unix := t.Unix()
	fs := h.second.Load()
	if fs == nil || fs.unix != unix || fs.loc != t.Location() {
		full := string(appendRFC3339Millis(nil, t))
		const headLen = len("2006-01-02T15:04:05")
		if len(full) < headLen+4 || full[headLen] != '.' {
			return append(b, full...) // a year past 9999: not cached
		}
		fs = &formattedSecond{unix: unix, loc: t.Location(), head: full[:headLen], zone: full[headLen+4:]}
		h.second.Store(fs)
	}
	ms := t.Nanosecond() / 1e6
	b = append(b, fs.head...)
	b = append(b, '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
	return append(b, fs.zone...)
}

// appendRFC3339Millis is slog's time format: RFC 3339 with exactly three
// digits of milliseconds (truncated).
func appendRFC3339Millis(b []byte, t time.Time) []byte {
	const prefixLen = len("2006-01-02T15:04:05.000")
	n := len(b)
	t = t.Truncate(time.Millisecond).Add(time.Millisecond / 10)
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b[:n+prefixLen], b[n+prefixLen+1:]...) // drop the fourth digit
}
