package main

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestMetricsNotPublic: /metrics is off on the main address by default,
// behind a bearer token when one is set, and on an address of its own
// when TSUNAGU_METRICS_LISTEN is set.
func TestMetricsNotPublic(t *testing.T) {
	get := func(url, token string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	t.Run("default", func(t *testing.T) {
		h := newHarness(t, "")
		if code := get(h.url+"/metrics", ""); code != http.StatusNotFound && code != http.StatusMethodNotAllowed {
			t.Errorf("/metrics answered %d on the public address", code)
		}
	})
	t.Run("token", func(t *testing.T) {
		h := newHarness(t, "", withEnv("TSUNAGU_METRICS_TOKEN", "s3cret"))
		for token, want := range map[string]int{"": 401, "wrong": 401, "s3cret": 200} {
			if code := get(h.url+"/metrics", token); code != want {
				t.Errorf("token %q: %d, want %d", token, code, want)
			}
		}
	})
	t.Run("own address", func(t *testing.T) {
		h := newHarness(t, "", withEnv("TSUNAGU_METRICS_LISTEN", "127.0.0.1:0"))
		if code := get("http://"+h.main.MetricsAddr()+"/metrics", ""); code != http.StatusOK {
			t.Errorf("metrics address: %d", code)
		}
		if code := get(h.url+"/metrics", ""); code == http.StatusOK {
			t.Errorf("/metrics also public on the main address")
		}
	})
}

// TestSlowBodies: while the cap of body readers is taken by clients
// trickling their bodies, another request is turned away after the wait
// rather than queued forever; a fast one goes through once a slot is free.
func TestSlowBodies(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Write(b)
	})
	srv := httptest.NewUnstartedServer(limitBodies(ok, 2, 100*time.Millisecond))
	srv.Config.ReadTimeout = 2 * time.Second // the stalled bodies hold their slots this long: room for a busy machine
	srv.Start()
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")

	// Two clients send headers promising a body and then stall.
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab")
	}
	// Once the server holds both stalled bodies (how soon depends on the
	// machine), a request is turned away.
	post := func() (int, string) {
		res, err := http.Post(srv.URL, "text/plain", strings.NewReader("hello"))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	eventually(t, func() bool { code, _ := post(); return code == http.StatusServiceUnavailable },
		"a request to be turned away while every slot is held")
	// ReadTimeout ends the stalled bodies and frees their slots.
	var code int
	var got string
	eventually(t, func() bool { code, got = post(); return code == http.StatusOK }, "a slot to be freed")
	if got != "hello" {
		t.Errorf("after the timeout: %d %q", code, got)
	}
}
