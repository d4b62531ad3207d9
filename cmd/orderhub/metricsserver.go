package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/httpjson"
	"github.com/orderhub/orderhub/metrics"
)

// metricsHandler serves /metrics, behind metrics.token when it is set. A
// scrape reads only memory; serveMetrics refreshes what comes from the
// database.
func (a *App) metricsHandler() http.Handler {
	return metrics.RequireToken(a.cfg.Metrics.Token, a.operator().metrics.Handler(a.logger))
}

// ListenMetrics opens metrics.listen, when it is set, for Serve to serve
// /metrics on, and returns its address; it returns nil when /metrics is on
// the main listener. Serve opens it itself when nobody did; a test calls it
// first to learn the port of "127.0.0.1:0".
func (a *App) ListenMetrics() (net.Addr, error) {
	if a.cfg.Metrics.Listen == "" {
		return nil, nil
	}
	if a.metricsLn == nil {
		ln, err := net.Listen("tcp", a.cfg.Metrics.Listen)
		if err != nil {
			return nil, fmt.Errorf("listen on metrics.listen %s: %w", a.cfg.Metrics.Listen, err)
		}
		a.metricsLn = ln
	}
	return a.metricsLn.Addr(), nil
}

// serveMetrics starts the background refresh of the gauges read from the
// database, every metrics.refresh_every, and with metrics.listen set, the
// metrics server on its own listener. stop ends both, letting a scrape in
// flight finish; it is safe to call more than once. Serve calls it before
// it closes the store.
func (a *App) serveMetrics(ctx context.Context, main net.Listener) (stop func(context.Context) error, err error) {
	if _, err := a.ListenMetrics(); err != nil {
		return nil, err
	}
	exposed := main.Addr()
	if a.metricsLn != nil {
		exposed = a.metricsLn.Addr()
	}
	if a.cfg.Metrics.Token == "" && !loopback(exposed) {
		a.logger.Warn("/metrics answers anyone who can reach it: set metrics.token, or metrics.listen to a private address", "addr", exposed.String())
	}
	every := a.cfg.Metrics.RefreshEvery
	if every <= 0 {
		every = metrics.DefaultRefreshEvery
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	ticker := time.NewTicker(every)
	refreshed := make(chan struct{})
	go func() {
		defer close(refreshed)
		a.operator().metrics.RunRefresh(rctx, ticker.C, a.logger)
	}()

	var srv *http.Server
	served := make(chan error, 1)
	if a.metricsLn != nil {
		r := chi.NewRouter()
		r.Method(http.MethodGet, "/metrics", a.metricsHandler())
		r.NotFound(func(w http.ResponseWriter, r *http.Request) {
			httpjson.Error(w, r, nil, orderhub.Errorf(orderhub.ENotFound, "no route %s %s: this listener serves GET /metrics only", r.Method, r.URL.Path))
		})
		srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
			WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second}
		ln := a.metricsLn
		go func() { served <- srv.Serve(ln) }()
		a.logger.Info("metrics listening", "addr", ln.Addr().String())
	}

	var once sync.Once
	var stopErr error
	return func(sctx context.Context) error {
		once.Do(func() {
			if srv != nil {
				stopErr = srv.Shutdown(sctx)
				if e := <-served; e != nil && !errors.Is(e, http.ErrServerClosed) {
					stopErr = errors.Join(stopErr, e)
				}
			}
			cancel()
			ticker.Stop()
			<-refreshed
		})
		return stopErr
	}, nil
}

// loopback reports whether addr only takes connections from this machine.
func loopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}
