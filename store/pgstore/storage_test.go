package pgstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
	"github.com/orderhub/orderhub/store/pgstore/pgtest"
)

// TestStorageFailuresAreMappedByCode gets real errors from the real
// server, each of a class that says the database cannot store or cannot
// be reached, and checks that the store's mapping makes every one an
// Unavailable storage failure by its SQLSTATE (or by the connection
// failing), and leaves an ordinary error alone.
func TestStorageFailuresAreMappedByCode(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)

	// 53400 configuration_limit_exceeded: a sort that spills past
	// temp_file_limit, as a full temporary disk would stop it.
	_, err = conn.Exec(ctx, "SET temp_file_limit = '64kB'")
	require.NoError(t, err)
	_, err = conn.Exec(ctx, "SET work_mem = '64kB'")
	require.NoError(t, err)
	_, tempErr := conn.Exec(ctx, "SELECT g FROM generate_series(1, 200000) g ORDER BY g DESC")
	requireSQLState(t, tempErr, "53400")

	// 53300 too_many_connections: a role allowed no connection at all.
	role := fmt.Sprintf("oh_noconn_%d", time.Now().UnixNano())
	_, err = conn.Exec(ctx, "CREATE ROLE "+role+" LOGIN CONNECTION LIMIT 0")
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = conn.Exec(context.Background(), "DROP ROLE IF EXISTS "+role) })
	cfg, err := pgx.ParseConfig(url)
	require.NoError(t, err)
	cfg.User = role
	_, limitErr := pgx.ConnectConfig(ctx, cfg)
	requireSQLState(t, limitErr, "53300")

	// A server that is not there: the connection cannot be made.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().(*net.TCPAddr)
	require.NoError(t, ln.Close())
	down, err := pgx.ParseConfig(url)
	require.NoError(t, err)
	down.Host, down.Port, down.ConnectTimeout = "127.0.0.1", uint16(addr.Port), 5*time.Second
	_, downErr := pgx.ConnectConfig(ctx, down)
	var ce *pgconn.ConnectError
	require.True(t, errors.As(downErr, &ce), "%v", downErr)

	for _, err := range []error{tempErr, limitErr, downErr} {
		mapped := mapError(fmt.Errorf("begin: %w", err))
		require.True(t, store.IsStorageFailure(mapped), "%v", err)
		require.Equal(t, orderhub.EUnavailable, orderhub.ErrorCode(mapped), "%v", err)
		require.True(t, store.IsStorageFailure(markStorage(err)), "a storage failure that reached a transaction unmapped: %v", err)
	}

	// An ordinary error is not a storage failure.
	_, syntaxErr := conn.Exec(ctx, "SELEC 1")
	requireSQLState(t, syntaxErr, "42601")
	require.False(t, store.IsStorageFailure(mapError(syntaxErr)))
	require.False(t, store.IsStorageFailure(markStorage(syntaxErr)))
}

func requireSQLState(t *testing.T, err error, code string) {
	t.Helper()
	var pe *pgconn.PgError
	require.True(t, errors.As(err, &pe), "want SQLSTATE %s, got %v", code, err)
	require.Equal(t, code, pe.Code, strings.TrimSpace(pe.Message))
}
