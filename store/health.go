package store

import (
	"context"
	"errors"
	"sync"
)

// ErrStorage is in the chain of an error from a database that cannot store
// now: its disk is full, it is out of a resource, or it cannot be reached
// (SQLite's SQLITE_FULL and I/O errors; PostgreSQL's SQLSTATE classes 53
// and 08). Such an error is also an orderhub Unavailable: the request was
// fine, and the same request later may well succeed.
var ErrStorage = errors.New("the database cannot store now")

// IsStorageFailure reports whether err is a failure of the database's
// storage rather than of the request or of orderhub's own code.
func IsStorageFailure(err error) bool { return errors.Is(err, ErrStorage) }

// WriteProber proves that the store takes writes.
type WriteProber interface {
	// ProbeWrite writes, in one committed transaction, a row about the
	// size of a webhook receipt and deletes it again. It fails (with
	// ErrStorage in the chain) while the database cannot store.
	ProbeWrite(ctx context.Context) error
}

// WriteHealth tracks whether the store's writes fail for want of storage,
// so that readiness can tell the truth while the disk is full. Writers
// report each outcome to it; the zero value is healthy and safe for
// concurrent use, and a nil *WriteHealth hears nothing and is always
// healthy.
type WriteHealth struct {
	mu      sync.Mutex
	failure error
}

// Report records how a write went: nil (it succeeded) makes the store
// healthy again, a storage failure marks it failing, and any other error
// (a bad request, a conflict, our own bug) says nothing about storage and
// is ignored.
func (h *WriteHealth) Report(err error) {
	if h == nil || (err != nil && !IsStorageFailure(err)) {
		return
	}
	h.mu.Lock()
	h.failure = err
	h.mu.Unlock()
}

// Failure returns the storage failure of the latest write reported, or nil
// while writes succeed.
func (h *WriteHealth) Failure() error {
	if h == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.failure
}
