package main

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/tsunagu/tsunagu/config"
)

// Bounds on what a client can make the server hold. LINE and Slack send a
// request in well under a second and want an answer within 2 to 3; a
// client slower than these is broken or hostile.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 15 * time.Second // the whole request, body included
	writeTimeout      = 30 * time.Second
	idleTimeout       = 60 * time.Second
	maxHeaderBytes    = 64 << 10

	// maxBodyReaders caps the requests whose bodies are being read at
	// once; a request waits up to bodyWait for a turn, then gets 503 (LINE
	// redelivers, Slack's user clicks again). Handlers run after their
	// body is in memory, so slow clients cannot hold back fast ones for
	// longer than bodyWait.
	maxBodyReaders = 64
	bodyWait       = time.Second
	// maxBody bounds what is buffered here; handlers apply their own,
	// smaller limits (LINE 1 MiB, Slack 512 KiB).
	maxBody = 2 << 20
)

// newHTTPServer is the service's server: timeouts on every phase of a
// request, and bodies read under a cap on how many are read at once.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           limitBodies(h, maxBodyReaders, bodyWait),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
	}
}

// limitBodies reads each request's body in full, at most n at once,
// before h sees it. A client trickling a body holds a slot only until
// ReadTimeout closes it.
func limitBodies(h http.Handler, n int, wait time.Duration) http.Handler {
	slots := make(chan struct{}, n)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
			h.ServeHTTP(w, r)
			return
		}
		t := time.NewTimer(wait)
		select {
		case slots <- struct{}{}:
			t.Stop()
		case <-t.C:
			w.Header().Set("Retry-After", "1")
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		case <-r.Context().Done():
			t.Stop()
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		<-slots
		if err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.ServeHTTP(w, r)
	})
}

// metricsHandler guards /metrics with a bearer token (constant-time
// compare); token "" serves it as is, for an address of its own.
func metricsHandler(h http.Handler, token string) http.Handler {
	if token == "" {
		return h
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// serveMetrics mounts /metrics as configured: on an address of its own
// (TSUNAGU_METRICS_LISTEN, then also behind the token if one is set), on
// the main mux behind TSUNAGU_METRICS_TOKEN, or not at all. It returns the
// listener of its own address, if any, for Close.
func serveMetrics(c config.Metrics, mux *http.ServeMux, h http.Handler, logf func(msg string, args ...any)) (net.Listener, *http.Server, error) {
	h = metricsHandler(h, c.Token)
	switch {
	case c.Listen != "":
		ln, err := net.Listen("tcp", c.Listen)
		if err != nil {
			return nil, nil, err
		}
		m := http.NewServeMux()
		m.Handle("GET /metrics", h)
		srv := newHTTPServer(m)
		go func() { _ = srv.Serve(ln) }()
		logf("metrics served on their own address", "addr", ln.Addr().String(), "token", c.Token != "")
		return ln, srv, nil
	case c.Token != "":
		mux.Handle("GET /metrics", h)
		logf("metrics served behind a bearer token")
	default:
		logf("metrics not served: set TSUNAGU_METRICS_LISTEN or TSUNAGU_METRICS_TOKEN")
	}
	return nil, nil, nil
}

// shutdown stops a server within ctx, nil-safe.
func shutdown(ctx context.Context, srv *http.Server) error {
	if srv == nil {
		return nil
	}
	return srv.Shutdown(ctx)
}
