package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/orderhub/orderhub/store/sqlcore"
)

// stmtCache keeps one prepared statement per named query, so that SQLite
// parses and plans each statement once per connection rather than on every
// call: passing SQL text to Exec or Query compiles it anew each time.
//
// Only the texts of the named DML queries are cached, and the set of them is
// fixed when the cache is made, so the cache is bounded by the query files
// whatever SQL passes through the store: migration scripts, DDL and any
// text built at run time take the uncached path, as River's statements do,
// which never reach this cache at all.
//
// A cached *sql.Stmt belongs to the pool: database/sql prepares it again
// on each connection that runs it and keeps those per-connection statements
// until Close. Within a transaction, Tx.StmtContext finds the one already
// prepared on the transaction's connection, or prepares it there once and
// records it on the cached statement for the transactions that follow.
type stmtCache struct {
	db *sql.DB
	// stmts is read without a lock: its keys are fixed in newStmtCache, only
	// the pointers change.
	stmts map[string]*atomic.Pointer[sql.Stmt]

	mu       sync.Mutex // held to store a statement and to close the cache
	closed   bool
	prepares atomic.Int64 // statements prepared on the pool, for tests
}

func newStmtCache(db *sql.DB, queries sqlcore.Queries) *stmtCache {
	c := &stmtCache{db: db, stmts: map[string]*atomic.Pointer[sql.Stmt]{}}
	for _, text := range queries {
		if cacheable(text) {
			c.stmts[text] = new(atomic.Pointer[sql.Stmt])
		}
	}
	return c
}

// cacheable reports whether text is a single DML statement. DDL runs once
// per migration and gains nothing from a cache; a script of several
// statements is parsed anew on each run by the driver even when prepared.
func cacheable(text string) bool {
	if strings.Contains(text, ";") {
		return false
	}
	for {
		text = strings.TrimSpace(text)
		comment, ok := strings.CutPrefix(text, "--")
		if !ok {
			break
		}
		_, text, _ = strings.Cut(comment, "\n")
	}
	word, _, _ := strings.Cut(text, " ")
	word, _, _ = strings.Cut(word, "\n")
	switch strings.ToUpper(word) {
	case "SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "REPLACE":
		return true
	}
	return false
}

// cached returns the statement prepared for query, and whether query is one
// the cache keeps.
func (c *stmtCache) cached(query string) (*sql.Stmt, bool) {
	p, ok := c.stmts[query]
	if !ok {
		return nil, false
	}
	return p.Load(), true
}

// pooled returns the cached statement for query, preparing it on the pool
// the first time; nil means run query uncached, as when query is not a named
// one or preparing it failed (running the text reports the same error).
func (c *stmtCache) pooled(ctx context.Context, query string) *sql.Stmt {
	st, ok := c.cached(query)
	if st != nil || !ok {
		return st
	}
	return c.prepare(ctx, query)
}

// prepare prepares query on the pool and caches it. Two callers may race to
// prepare the same query; the second closes its statement and takes the
// first's. The lock is not held while preparing, so Close never waits for a
// connection.
func (c *stmtCache) prepare(ctx context.Context, query string) *sql.Stmt {
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.prepares.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.stmts[query]
	if cur := p.Load(); c.closed || cur != nil {
		_ = st.Close()
		return cur
	}
	p.Store(st)
	return st
}

// warm prepares the queries a transaction ran uncached because they were
// not prepared yet. A transaction cannot prepare on the pool itself: that
// needs a second connection while it holds one, and with every connection
// in a transaction it would wait for ever. Failures are left for a later
// call to retry.
func (c *stmtCache) warm(ctx context.Context, queries []string) {
	for _, q := range queries {
		if st, ok := c.cached(q); ok && st == nil {
			c.prepare(ctx, q)
		}
	}
}

// len returns how many statements are prepared.
func (c *stmtCache) len() int {
	n := 0
	for _, p := range c.stmts {
		if p.Load() != nil {
			n++
		}
	}
	return n
}

// Close closes the statements; later calls run their SQL uncached, so they
// fail as the closed pool makes them.
func (c *stmtCache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	var errs []error
	for _, p := range c.stmts {
		if st := p.Swap(nil); st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}

// poolQuerier runs queries on the pool, through the cache.
type poolQuerier struct {
	db    *sql.DB
	stmts *stmtCache
}

func (q poolQuerier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	var res sql.Result
	var err error
	if st := q.stmts.pooled(ctx, query); st != nil {
		res, err = st.ExecContext(ctx, args...)
	} else {
		res, err = q.db.ExecContext(ctx, query, args...)
	}
	return rowsAffected(query, res, err)
}

func (q poolQuerier) Query(ctx context.Context, query string, args ...any) (sqlcore.Rows, error) {
	var rows *sql.Rows
	var err error
	if st := q.stmts.pooled(ctx, query); st != nil {
		rows, err = st.QueryContext(ctx, args...)
	} else {
		rows, err = q.db.QueryContext(ctx, query, args...)
	}
	if err != nil {
		return nil, err
	}
	return &sqlRows{Rows: rows}, nil
}

func (q poolQuerier) QueryRow(ctx context.Context, query string, args ...any) sqlcore.Row {
	if st := q.stmts.pooled(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return q.db.QueryRowContext(ctx, query, args...)
}

// txQuerier runs queries in one transaction, through the cache: each cached
// statement it uses is bound to the transaction once, by Tx.StmtContext.
//
// One SQLite statement runs one query at a time on its connection, and a
// transaction has one connection: running a statement again while the rows
// of its previous run are open would rewind or corrupt them. So while a
// statement's rows are open, the same query runs uncached, as the text
// always was.
type txQuerier struct {
	tx    *sql.Tx
	stmts *stmtCache

	mu     sync.Mutex
	bound  map[string]*txStmt // statements bound to tx, by query
	missed []string           // named queries not prepared yet; see warm
}

type txStmt struct {
	st   *sql.Stmt
	busy bool // its rows are open
}

func newTxQuerier(tx *sql.Tx, stmts *stmtCache) *txQuerier {
	return &txQuerier{tx: tx, stmts: stmts}
}

// acquire returns the statement to run query with, marked busy, or nil to
// run the text.
func (q *txQuerier) acquire(ctx context.Context, query string) *txStmt {
	q.mu.Lock()
	defer q.mu.Unlock()
	if ts := q.bound[query]; ts != nil {
		if ts.busy {
			return nil
		}
		ts.busy = true
		return ts
	}
	parent, ok := q.stmts.cached(query)
	if !ok {
		return nil
	}
	if parent == nil {
		if !slices.Contains(q.missed, query) {
			q.missed = append(q.missed, query)
		}
		return nil
	}
	if q.bound == nil {
		q.bound = map[string]*txStmt{}
	}
	ts := &txStmt{st: q.tx.StmtContext(ctx, parent), busy: true}
	q.bound[query] = ts
	return ts
}

// release marks ts free again; failed drops it, so that an error met while
// binding it to the transaction (a done context, say) is not kept for the
// calls that follow: they bind it again, which finds the statement already
// prepared on the connection.
func (q *txQuerier) release(query string, ts *txStmt, failed bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	ts.busy = false
	if failed && q.bound[query] == ts {
		delete(q.bound, query)
	}
}

// missedQueries returns the named queries the transaction ran uncached
// because they were not prepared yet.
func (q *txQuerier) missedQueries() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.missed
}

func (q *txQuerier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	var res sql.Result
	var err error
	if ts := q.acquire(ctx, query); ts != nil {
		res, err = ts.st.ExecContext(ctx, args...)
		q.release(query, ts, err != nil)
	} else {
		res, err = q.tx.ExecContext(ctx, query, args...)
	}
	return rowsAffected(query, res, err)
}

func (q *txQuerier) Query(ctx context.Context, query string, args ...any) (sqlcore.Rows, error) {
	ts := q.acquire(ctx, query)
	if ts == nil {
		rows, err := q.tx.QueryContext(ctx, query, args...)
		if err != nil {
			return nil, err
		}
		return &sqlRows{Rows: rows}, nil
	}
	rows, err := ts.st.QueryContext(ctx, args...)
	if err != nil {
		q.release(query, ts, true)
		return nil, err
	}
	return &sqlRows{Rows: rows, release: func() { q.release(query, ts, false) }}, nil
}

func (q *txQuerier) QueryRow(ctx context.Context, query string, args ...any) sqlcore.Row {
	ts := q.acquire(ctx, query)
	if ts == nil {
		return q.tx.QueryRowContext(ctx, query, args...)
	}
	row := ts.st.QueryRowContext(ctx, args...)
	if row.Err() != nil {
		q.release(query, ts, true)
		return row
	}
	return &sqlRow{Row: row, release: func() { q.release(query, ts, false) }}
}

// rowsAffected is what Exec returns for res and err from running query.
func rowsAffected(query string, res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	if strings.HasPrefix(strings.TrimSpace(query), "CREATE") {
		return 0, nil
	}
	return res.RowsAffected()
}

// sqlRows adapts *sql.Rows to sqlcore.Rows; release, when set, frees the
// statement the rows came from, once however often Close is called.
type sqlRows struct {
	*sql.Rows
	release func()
}

func (r *sqlRows) Close() {
	_ = r.Rows.Close()
	if r.release != nil {
		r.release()
		r.release = nil
	}
}

// sqlRow frees the statement a row came from once it is scanned, which
// closes its rows.
type sqlRow struct {
	*sql.Row
	release func()
}

func (r *sqlRow) Scan(dest ...any) error {
	err := r.Row.Scan(dest...)
	if r.release != nil {
		r.release()
		r.release = nil
	}
	return err
}
