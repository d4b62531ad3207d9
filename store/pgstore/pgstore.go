// Package pgstore is the PostgreSQL store for deployments that run several
// orderhub instances: orderhub's data and its River queue in one database,
// through pgx v5.
//
// It must not hold business rules: those live in the shared sqlcore and the
// domain. This package owns only the pool, the dialect and its errors.
package pgstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
	"github.com/orderhub/orderhub/store/sqlcore"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

//go:embed queries/*.sql
var queryFS embed.FS

// Store is the PostgreSQL implementation of store.Store.
type Store struct {
	*sqlcore.Core
	pool   *pgxpool.Pool
	url    string
	river  *river.Client[pgx.Tx]
	opts   store.Options
	d      sqlcore.Dialect
	logger *slog.Logger
}

var _ store.Store = (*Store)(nil)

// Open connects to the PostgreSQL database at url (postgres://...). Call
// Migrate before first use.
func Open(ctx context.Context, url string, opts store.Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, orderhub.WrapError(orderhub.EInvalid, err, "database url is not a valid PostgreSQL url")
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = int32(opts.MaxConns)
	} else if cfg.MaxConns < 16 {
		cfg.MaxConns = 16
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect postgres: %w", err)
	}
	queries, err := sqlcore.ReadQueries(queryFS, "queries")
	if err != nil {
		pool.Close()
		return nil, err
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Store{pool: pool, url: url, opts: opts, logger: logger}
	s.d = sqlcore.Dialect{Name: "postgres", Queries: queries, MapError: mapError, IsNoRows: func(err error) bool { return errors.Is(err, pgx.ErrNoRows) }}
	rcfg := &river.Config{Logger: sqlcore.RiverLogger(logger), ID: opts.ProcessID}
	if opts.RescueAfter > 0 {
		rcfg.RescueStuckJobsAfter = opts.RescueAfter
		rcfg.JobTimeout = min(opts.RescueAfter, river.JobTimeoutDefault)
	}
	if opts.Workers != nil {
		rcfg.Workers = opts.Workers
		rcfg.Queues = opts.Queues
		if rcfg.Queues == nil {
			rcfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 8}}
		}
		rcfg.PeriodicJobs = opts.PeriodicJobs
	}
	s.river, err = river.NewClient(riverpgxv5.New(pool), rcfg)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("river client: %w", err)
	}
	s.Core = sqlcore.NewCore(s.d, pgQuerier{pool}, s.runTx, func(ctx context.Context, args river.JobArgs, o *river.InsertOpts) (*rivertype.JobInsertResult, error) {
		return s.river.Insert(ctx, args, o)
	}, opts.Now, opts.ProcessID)
	return s, nil
}

// Reopen opens another handle on the same database with other options, as
// another process would; tests use it to run two processes on one
// database.
func (s *Store) Reopen(ctx context.Context, opts store.Options) (store.Store, error) {
	return Open(ctx, s.url, opts)
}

func (s *Store) runTx(ctx context.Context, fn func(q sqlcore.Querier, ins sqlcore.InsertJobFunc) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return mapError(fmt.Errorf("begin: %w", err))
	}
	ins := func(ctx context.Context, args river.JobArgs, o *river.InsertOpts) (*rivertype.JobInsertResult, error) {
		return s.river.InsertTx(ctx, tx, args, o)
	}
	if err := fn(pgQuerier{tx}, ins); err != nil {
		_ = tx.Rollback(ctx)
		return markStorage(err)
	}
	if err := tx.Commit(ctx); err != nil {
		return mapError(fmt.Errorf("commit: %w", err))
	}
	return nil
}

// InTx implements store.Store.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error {
	return s.Core.InTx(ctx, fn)
}

// Migrate applies orderhub's migrations, then River's. Concurrent
// instances serialise on an advisory lock.
func (s *Store) Migrate(ctx context.Context) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	const lockKey = 0x6f72646572687562 // "orderhub"
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(lockKey)); err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	defer func() { _, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(lockKey)) }()

	if err := sqlcore.MigrateFS(ctx, s.d, pgQuerier{s.pool}, s.runTx, migrationFS, s.opts.Now); err != nil {
		return err
	}
	m, err := rivermigrate.New(riverpgxv5.New(s.pool), &rivermigrate.Config{Logger: s.logger})
	if err != nil {
		return err
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	return nil
}

// Ping implements store.Store.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// Kind implements store.Store.
func (s *Store) Kind() string { return "postgres" }

// Pool returns the underlying pool, for benchmarks and tools.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Queue implements store.Store.
func (s *Store) Queue() store.Queue {
	return sqlcore.RiverQueue[pgx.Tx]{Client: s.river, Workers: s.opts.Workers != nil}
}

// Close implements store.Store.
func (s *Store) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if s.opts.Workers != nil {
		_ = s.river.Stop(ctx)
	}
	s.pool.Close()
	return nil
}

// mapError maps PostgreSQL SQLSTATE codes to orderhub error codes.
func mapError(err error) error {
	if err == nil {
		return nil
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505": // unique_violation
			return orderhub.WrapError(orderhub.EConflict, err, "already exists")
		case "23503", "23514", "23502": // foreign_key, check, not_null
			return orderhub.WrapError(orderhub.EInvalid, err, "violates a database constraint")
		case "40001", "40P01": // serialization_failure, deadlock_detected
			return orderhub.WrapError(orderhub.EUnavailable, fmt.Errorf("%w: %w", store.ErrTxConflict, err), "transaction conflicted; retry")
		}
	}
	if storageFailure(err) {
		return storageError(err)
	}
	return err
}

// storageFailure reports whether err says the database cannot store or
// cannot be reached: SQLSTATE class 53 (insufficient resources: disk full,
// out of memory, too many connections), class 08 (connection exception),
// 57P01-57P03 (the server is shutting down or starting), 58030 (I/O
// error), or a connection that could not be made at all.
func storageFailure(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "53"), strings.HasPrefix(pe.Code, "08"):
			return true
		}
		switch pe.Code {
		case "57P01", "57P02", "57P03", "58030":
			return true
		}
		return false
	}
	var ce *pgconn.ConnectError
	return errors.As(err, &ce)
}

func storageError(err error) error {
	return orderhub.WrapError(orderhub.EUnavailable, fmt.Errorf("%w: %w", store.ErrStorage, err), "the database cannot store now (full or unreachable); retry later")
}

// markStorage maps a storage failure that reached a transaction unmapped
// (through River's job insert, say) and leaves every other error as it is.
func markStorage(err error) error {
	if !store.IsStorageFailure(err) && storageFailure(err) {
		return storageError(err)
	}
	return err
}

type pgConn interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// pgQuerier adapts a pgx pool or transaction to sqlcore.Querier. Strings
// go in and come out through the text encoding (see text.go), so that any
// Go string survives PostgreSQL text.
type pgQuerier struct{ c pgConn }

func (q pgQuerier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := q.c.Exec(ctx, query, encodeArgs(query, args)...)
	return tag.RowsAffected(), err
}

func (q pgQuerier) Query(ctx context.Context, query string, args ...any) (sqlcore.Rows, error) {
	rows, err := q.c.Query(ctx, query, encodeArgs(query, args)...)
	if err != nil {
		return nil, err
	}
	return textRows{rows}, nil
}

func (q pgQuerier) QueryRow(ctx context.Context, query string, args ...any) sqlcore.Row {
	return textRow{q.c.QueryRow(ctx, query, encodeArgs(query, args)...)}
}
