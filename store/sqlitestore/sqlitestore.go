// Package sqlitestore is the embedded store: orderhub's data and its River
// queue in one SQLite file, through the pure-Go modernc.org/sqlite driver.
// It runs in WAL mode with a busy timeout, foreign keys on, synchronous=FULL
// (an acknowledged commit survives a crash) and BEGIN IMMEDIATE, so
// concurrent writers queue on the lock instead of failing.
//
// It must not hold business rules: those live in the shared sqlcore and the
// domain. This package owns only the connection, the dialect, its errors
// and the prepared statements of its named queries (stmtcache.go).
package sqlitestore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
	"github.com/orderhub/orderhub/store/sqlcore"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

//go:embed queries/*.sql
var queryFS embed.FS

// Store is the SQLite implementation of store.Store.
type Store struct {
	*sqlcore.Core
	db     *sql.DB
	stmts  *stmtCache
	path   string
	river  *river.Client[*sql.Tx]
	opts   store.Options
	d      sqlcore.Dialect
	logger *slog.Logger
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the SQLite database at path. Call Migrate
// before first use.
func Open(ctx context.Context, path string, opts store.Options) (*Store, error) {
	if path == "" {
		return nil, orderhub.Errorf(orderhub.EInvalid, "sqlite path is empty")
	}
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(FULL)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	maxConns := opts.MaxConns
	if maxConns <= 0 {
		maxConns = 4
	}
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxIdleTime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	queries, err := sqlcore.ReadQueries(queryFS, "queries")
	if err != nil {
		db.Close()
		return nil, err
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Store{db: db, stmts: newStmtCache(db, queries), path: path, opts: opts, logger: logger}
	s.d = sqlcore.Dialect{Name: "sqlite", Queries: queries, MapError: mapError, IsNoRows: func(err error) bool { return errors.Is(err, sql.ErrNoRows) }}
	cfg := &river.Config{Logger: sqlcore.RiverLogger(logger), ID: opts.ProcessID}
	if opts.RescueAfter > 0 {
		cfg.RescueStuckJobsAfter = opts.RescueAfter
		cfg.JobTimeout = min(opts.RescueAfter, river.JobTimeoutDefault)
	}
	if opts.Workers != nil {
		cfg.Workers = opts.Workers
		cfg.Queues = opts.Queues
		if cfg.Queues == nil {
			cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 8}}
		}
		cfg.PeriodicJobs = opts.PeriodicJobs
	}
	s.river, err = river.NewClient(riversqlite.New(db), cfg)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("river client: %w", err)
	}
	s.Core = sqlcore.NewCore(s.d, s.pool(), s.runTx, func(ctx context.Context, args river.JobArgs, o *river.InsertOpts) (*rivertype.JobInsertResult, error) {
		return s.river.Insert(ctx, args, o)
	}, opts.Now, opts.ProcessID)
	return s, nil
}

// Reopen opens another handle on the same database with other options, as
// another process would; tests use it to run two processes on one file.
func (s *Store) Reopen(ctx context.Context, opts store.Options) (store.Store, error) {
	return Open(ctx, s.path, opts)
}

// pool returns the querier that runs sqlcore's queries outside a
// transaction.
func (s *Store) pool() sqlcore.Querier { return poolQuerier{db: s.db, stmts: s.stmts} }

func (s *Store) runTx(ctx context.Context, fn func(q sqlcore.Querier, ins sqlcore.InsertJobFunc) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return mapError(fmt.Errorf("begin: %w", err))
	}
	ins := func(ctx context.Context, args river.JobArgs, o *river.InsertOpts) (*rivertype.JobInsertResult, error) {
		return s.river.InsertTx(ctx, tx, args, o)
	}
	q := newTxQuerier(tx, s.stmts)
	// Prepare what the transaction could not, once its connection is back
	// in the pool.
	defer func() { s.stmts.warm(ctx, q.missedQueries()) }()
	if err := fn(q, ins); err != nil {
		_ = tx.Rollback()
		return markStorage(err)
	}
	if err := tx.Commit(); err != nil {
		return mapError(fmt.Errorf("commit: %w", err))
	}
	return nil
}

// InTx implements store.Store.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error {
	return s.Core.InTx(ctx, fn)
}

// Migrate applies orderhub's migrations, then River's.
func (s *Store) Migrate(ctx context.Context) error {
	if err := sqlcore.MigrateFS(ctx, s.d, s.pool(), s.runTx, migrationFS, s.opts.Now); err != nil {
		return err
	}
	m, err := rivermigrate.New(riversqlite.New(s.db), &rivermigrate.Config{Logger: s.logger})
	if err != nil {
		return err
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	return nil
}

// Ping implements store.Store.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.db.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Kind implements store.Store.
func (s *Store) Kind() string { return "sqlite" }

// DB returns the underlying pool, for benchmarks and tools.
func (s *Store) DB() *sql.DB { return s.db }

// Queue implements store.Store.
func (s *Store) Queue() store.Queue {
	return sqlcore.RiverQueue[*sql.Tx]{Client: s.river, Workers: s.opts.Workers != nil}
}

// Close implements store.Store.
func (s *Store) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if s.opts.Workers != nil {
		_ = s.river.Stop(ctx)
	}
	return errors.Join(s.stmts.Close(), s.db.Close())
}

// mapError maps SQLite result codes to orderhub error codes.
func mapError(err error) error {
	if err == nil {
		return nil
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return orderhub.WrapError(orderhub.EConflict, err, "already exists")
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY, sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_NOTNULL:
			return orderhub.WrapError(orderhub.EInvalid, err, "violates a database constraint")
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return orderhub.WrapError(orderhub.EUnavailable, err, "database is busy")
		}
	}
	if storageFailure(err) {
		return storageError(err)
	}
	return err
}

// storageFailure reports whether err carries a SQLite result code that
// says the database cannot store: SQLITE_FULL (disk full, or the
// max_page_count reached), an I/O error, or a file it cannot open.
func storageFailure(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff { // the primary code of an extended one
	case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN:
		return true
	}
	return false
}

func storageError(err error) error {
	return orderhub.WrapError(orderhub.EUnavailable, fmt.Errorf("%w: %w", store.ErrStorage, err), "the database cannot store now (disk full or failing); retry later")
}

// markStorage maps a storage failure that reached a transaction unmapped
// (through River's job insert, say) and leaves every other error as it is.
func markStorage(err error) error {
	if !store.IsStorageFailure(err) && storageFailure(err) {
		return storageError(err)
	}
	return err
}
