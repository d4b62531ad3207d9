package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/orderhub/orderhub/config"
	"github.com/orderhub/orderhub/store"
	"github.com/orderhub/orderhub/store/pgstore"
	"github.com/orderhub/orderhub/store/sqlitestore"
)

// loadBaseline is the yardstick of a load run: single-row INSERT
// transactions per second on the same store, measured in the same run.
type loadBaseline struct {
	What    string
	TxPerS  float64
	Clients int
	For     time.Duration
}

// measureBaseline runs clients concurrent loops of one-row INSERT
// transactions of body (a webhook's size) for d: on PostgreSQL, autocommit
// INSERTs into a scratch table of the same database, as pgbench runs a
// one-statement script; on SQLite, in a scratch database file beside the
// hub's, with the hub's pragmas (WAL, synchronous=FULL).
func measureBaseline(ctx context.Context, cfg config.Config, body []byte, clients int, d time.Duration) (loadBaseline, error) {
	kind, dsn := cfg.DatabaseKind()
	b := loadBaseline{Clients: clients, For: d}
	var n atomic.Int64
	var insert func(ctx context.Context, k int64) error
	switch kind {
	case config.DatabasePostgres:
		pool, err := pgxpool.New(ctx, dsn)
		if err != nil {
			return b, err
		}
		defer pool.Close()
		table := fmt.Sprintf("orderhub_load_baseline_%d", time.Now().UnixNano())
		if _, err := pool.Exec(ctx, `CREATE TABLE `+table+` (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, k TEXT NOT NULL UNIQUE, body BYTEA NOT NULL)`); err != nil {
			return b, err
		}
		defer pool.Exec(context.WithoutCancel(ctx), `DROP TABLE `+table)
		b.What = "single-row INSERT transactions on the same PostgreSQL (autocommit, pgbench-style)"
		insert = func(ctx context.Context, k int64) error {
			// One statement is one transaction: one round trip, one commit.
			_, err := pool.Exec(ctx, `INSERT INTO `+table+` (k, body) VALUES ($1, $2)`, fmt.Sprint(k), body)
			return err
		}
	case config.DatabaseSQLite:
		path := filepath.Join(filepath.Dir(dsn), fmt.Sprintf("load-baseline-%d.db", time.Now().UnixNano()))
		st, err := sqlitestore.Open(ctx, path, store.Options{})
		if err != nil {
			return b, err
		}
		defer func() {
			st.Close()
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(path + suffix)
			}
		}()
		db := st.DB()
		if _, err := db.ExecContext(ctx, `CREATE TABLE bench (id INTEGER PRIMARY KEY, k TEXT NOT NULL UNIQUE, body BLOB NOT NULL)`); err != nil {
			return b, err
		}
		b.What = "single-row INSERT transactions on SQLite in the same folder (WAL, synchronous=FULL)"
		insert = func(ctx context.Context, k int64) error {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO bench (k, body) VALUES ($1, $2)`, fmt.Sprint(k), body); err != nil {
				_ = tx.Rollback()
				return err
			}
			return tx.Commit()
		}
	default:
		return b, fmt.Errorf("baseline: unknown database %q", cfg.Database)
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var done atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if err := insert(ctx, n.Add(1)); err != nil {
					if ctx.Err() == nil {
						once.Do(func() { firstErr = err })
					}
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return b, fmt.Errorf("baseline: %w", firstErr)
	}
	b.TxPerS = float64(done.Load()) / time.Since(start).Seconds()
	return b, nil
}

// dbWork is what PostgreSQL counted for the hub's database: committed
// transactions and rows written, to say what one order costs.
type dbWork struct {
	Commits, Rows int64
}

// pgWork reads the database's counters; ok is false on SQLite. The
// statistics collector lags by up to half a second.
func pgWork(ctx context.Context, st store.Store) (dbWork, bool) {
	pg, ok := st.(*pgstore.Store)
	if !ok {
		return dbWork{}, false
	}
	var w dbWork
	err := pg.Pool().QueryRow(ctx, `SELECT xact_commit, tup_inserted + tup_updated + tup_deleted FROM pg_stat_database WHERE datname = current_database()`).Scan(&w.Commits, &w.Rows)
	return w, err == nil
}
