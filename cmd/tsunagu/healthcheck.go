package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// healthcheck asks a running tsunagu for /healthz: the container image has
// no shell or curl, so its HEALTHCHECK runs the binary itself.
func (e *env) healthcheck(ctx context.Context, args []string) int {
	fs, cfgPath := e.flags("healthcheck")
	target := fs.String("url", "", "the `URL` to ask (default http://127.0.0.1:PORT/healthz, PORT from TSUNAGU_LISTEN)")
	if pos, err := parse(fs, args); err != nil || len(pos) > 0 {
		fmt.Fprintln(e.stderr, "usage: tsunagu healthcheck [--url URL]")
		return exitUsage
	}
	if *target == "" {
		c, ok := e.config(*cfgPath)
		if !ok {
			return exitUsage
		}
		*target = healthURL(c.Listen)
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *target, nil)
	if err != nil {
		fmt.Fprintf(e.stderr, "tsunagu healthcheck: %v\n", err)
		return exitUsage
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(e.stderr, "tsunagu healthcheck: %v\n", err)
		return exitFail
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		fmt.Fprintf(e.stderr, "tsunagu healthcheck: %s answered %d\n", *target, res.StatusCode)
		return exitFail
	}
	fmt.Fprintln(e.stdout, "ok")
	return exitOK
}

// healthURL is /healthz on the loopback address of listen (":8080",
// "0.0.0.0:8080" or "127.0.0.1:8080").
func healthURL(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "http://" + listen + "/healthz"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz"
}
