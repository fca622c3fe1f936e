package server

import (
	"fmt"
	"io"
	"net/http"
	"testing"
)

// Each front end acrossFrontEnds runs tests through serves as its name says:
// net_http through net/http, h1 through internal/h1 (whose requests carry no
// net/http server in their context).
func TestFrontEndsServeAsNamed(t *testing.T) {
	probe := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, byNetHTTP := r.Context().Value(http.ServerContextKey).(*http.Server)
		fmt.Fprint(w, byNetHTTP)
	})
	for _, tt := range []struct {
		fe        frontEnd
		byNetHTTP string
	}{{netHTTP, "true"}, {fast, "false"}} {
		t.Run(tt.fe.name, func(t *testing.T) {
			url, stop := tt.fe.serve(t, probe)
			defer stop()
			resp, err := http.Get(url + "/")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if b, err := io.ReadAll(resp.Body); err != nil || string(b) != tt.byNetHTTP {
				t.Errorf("served by net/http: %q (%v), want %s", b, err, tt.byNetHTTP)
			}
		})
	}
}
