// Package sqlcore is the logic the SQL stores share: it turns Store
// operations into named queries and scans rows into domain types. It knows
// no driver and no dialect: sqlitestore and pgstore hand it a connection, a
// transaction starter and their own queries, each file of them embedded
// beside its migrations under the same query names.
package sqlcore

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/orderhub/orderhub"
)

// Querier is what both drivers offer a query, inside a transaction or not.
type Querier interface {
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) Row
}

// Rows iterates a result set.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Row is a single-row result; Scan reports no rows through the dialect's
// IsNoRows.
type Row interface {
	Scan(dest ...any) error
}

// Dialect is what differs between the stores.
type Dialect struct {
	Name    string
	Queries Queries
	// MapError turns a driver error into an orderhub error by code: unique
	// violation → Conflict, no rows → NotFound. Other errors pass through.
	MapError func(err error) error
	// IsNoRows reports the driver's "no rows" error.
	IsNoRows func(err error) bool
}

// Queries holds named SQL statements.
type Queries map[string]string

// Get returns the named statement; a missing name is a programming error.
func (q Queries) Get(name string) string {
	s, ok := q[name]
	if !ok {
		panic("sqlcore: no query named " + name)
	}
	return s
}

// ParseQueries reads a file of statements, each introduced by a line
// "-- name: Name".
func ParseQueries(src string) (Queries, error) {
	q := Queries{}
	var name string
	var b strings.Builder
	flush := func() {
		if name != "" {
			q[name] = strings.TrimSpace(b.String())
		}
		b.Reset()
	}
	sc := bufio.NewScanner(strings.NewReader(src))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if n, ok := strings.CutPrefix(strings.TrimSpace(line), "-- name:"); ok {
			flush()
			name = strings.TrimSpace(n)
			if _, dup := q[name]; dup {
				return nil, fmt.Errorf("query %s is defined twice", name)
			}
			continue
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	flush()
	return q, sc.Err()
}

// Migration is one numbered schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// ReadMigrations loads files named NNNN_name.sql from fsys, in order.
func ReadMigrations(fsys fs.FS) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	var ms []Migration
	seen := map[int]string{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration file %s is not named NNNN_name.sql", e.Name())
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s share version %d", prev, e.Name(), v)
		}
		seen[v] = e.Name()
		body, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: name, SQL: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	return ms, nil
}

// TxRunner starts a transaction and runs fn in it, committing on nil.
type TxRunner func(ctx context.Context, fn func(q Querier, insertJob InsertJobFunc) error) error

// InsertJobFunc enqueues a River job, in the current transaction when there
// is one.
type InsertJobFunc func(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)

// Migrate applies the migrations not yet recorded in orderhub_migrations,
// each in its own transaction.
func Migrate(ctx context.Context, d Dialect, pool Querier, run TxRunner, ms []Migration, now func() time.Time) error {
	if _, err := pool.Exec(ctx, d.Queries.Get("CreateMigrationsTable")); err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
	applied := map[int]bool{}
	rows, err := pool.Query(ctx, d.Queries.Get("ListMigrations"))
	if err != nil {
		return fmt.Errorf("list migrations: %w", err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return err
		}
		applied[v] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, m := range ms {
		if applied[m.Version] {
			continue
		}
		err := run(ctx, func(q Querier, _ InsertJobFunc) error {
			if _, err := q.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := q.Exec(ctx, d.Queries.Get("RecordMigration"), m.Version, m.Name, micros(now()))
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, d.MapError(err))
		}
	}
	return nil
}

func micros(t time.Time) int64 { return t.UTC().UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

// ensure the domain's error type is what callers see.
var _ error = (*orderhub.Error)(nil)

// ReadQueries parses every .sql file in dir of fsys into one set; a name
// defined in two files is an error.
func ReadQueries(fsys fs.FS, dir string) (Queries, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	all := Queries{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		body, err := fs.ReadFile(fsys, dir+"/"+e.Name())
		if err != nil {
			return nil, err
		}
		q, err := ParseQueries(string(body))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name(), err)
		}
		for name, sql := range q {
			if _, dup := all[name]; dup {
				return nil, fmt.Errorf("%s: query %s is defined in another file too", e.Name(), name)
			}
			all[name] = sql
		}
	}
	return all, nil
}

// MigrateFS applies the numbered migrations in the "migrations" folder of
// fsys, as Migrate does; now is time.Now when nil.
func MigrateFS(ctx context.Context, d Dialect, pool Querier, run TxRunner, fsys fs.FS, now func() time.Time) error {
	sub, err := fs.Sub(fsys, "migrations")
	if err != nil {
		return err
	}
	ms, err := ReadMigrations(sub)
	if err != nil {
		return err
	}
	if now == nil {
		now = time.Now
	}
	return Migrate(ctx, d, pool, run, ms, now)
}
