// Package pgtest gives tests a PostgreSQL database of their own. Each call
// creates a uniquely named database on the server in
// ORDERHUB_TEST_POSTGRES_URL and drops it when the test ends. Without the
// variable, tests skip with a message; under CI=true they fail instead, so
// a CI run can never pass without having run them.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the variable holding the server's admin URL.
const EnvURL = "ORDERHUB_TEST_POSTGRES_URL"

// ServerURL returns the admin URL, or skips (fails under CI=true) when it
// is unset or the server does not answer.
func ServerURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(EnvURL)
	if u == "" {
		unavailable(tb, EnvURL+" is not set")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		unavailable(tb, "PostgreSQL at "+EnvURL+" is unreachable: "+err.Error())
	}
	_ = conn.Close(ctx)
	return u
}

func unavailable(tb testing.TB, why string) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("PostgreSQL tests must run under CI=true: %s", why)
	}
	tb.Skipf("skipping PostgreSQL test: %s (set %s, e.g. postgres://root@127.0.0.1:5432/postgres?sslmode=disable)", why, EnvURL)
}

// NewDatabase creates a fresh database and returns its URL; it is dropped
// when tb ends.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	admin := ServerURL(tb)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "orderhub_test_" + time.Now().UTC().Format("20060102150405") + "_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		tb.Fatalf("connect to %s: %v", EnvURL, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			tb.Errorf("drop test database %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			tb.Errorf("drop test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		tb.Fatalf("parse %s: %v", EnvURL, err)
	}
	u.Path = "/" + name
	return u.String()
}
