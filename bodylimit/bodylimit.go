// Package bodylimit reads the bodies of unauthenticated requests (webhooks
// and callbacks) under two limits: a cap per body, and a budget of bytes
// held by every body being read at once in the process. A body's buffer
// grows as its bytes arrive, never from what the client's Content-Length
// claims, so a client that announces 5 MiB and sends nothing costs a few
// KiB; and once the budget is spent, further bodies are refused at once as
// Unavailable (503) instead of waiting, so the sender retries later.
//
// It must not verify, decode or store a body: callers do that with the
// bytes it returns, then release them.
package bodylimit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/orderhub/orderhub"
)

// DefaultInFlightBytes is the budget of a Budget made with 0: 64 MiB,
// a dozen bodies at the 5 MiB cap, thousands of ordinary orders.
const DefaultInFlightBytes = 64 << 20

// firstChunk is the buffer a body starts with; it doubles as bytes arrive.
const firstChunk = 4 << 10

// Budget bounds the bytes held by the bodies being read at once. It is safe
// for concurrent use; one Budget is shared by every handler of a process.
type Budget struct {
	limit int64
	held  atomic.Int64
}

// NewBudget returns a Budget of limit bytes (DefaultInFlightBytes when 0
// or less).
func NewBudget(limit int64) *Budget {
	if limit <= 0 {
		limit = DefaultInFlightBytes
	}
	return &Budget{limit: limit}
}

// Limit returns the budget's size in bytes.
func (b *Budget) Limit() int64 { return b.limit }

// Held returns the bytes reserved now by bodies not yet released.
func (b *Budget) Held() int64 { return b.held.Load() }

// reserve takes n bytes of the budget, or reports false when that would
// exceed it. It never waits.
func (b *Budget) reserve(n int64) bool {
	for {
		h := b.held.Load()
		if h+n > b.limit {
			return false
		}
		if b.held.CompareAndSwap(h, h+n) {
			return true
		}
	}
}

func (b *Budget) release(n int64) { b.held.Add(-n) }

// Read reads r's whole body, at most max bytes, under the budget. It
// returns the body and a release func that gives its bytes back to the
// budget: call it once the body is no longer needed (release is never nil,
// and a no-op after an error or a second call). Errors are orderhub
// errors: TooLarge past max (the connection is then closed), Unavailable
// when the budget is spent, Invalid when the body ends early or cannot be
// read.
func (b *Budget) Read(w http.ResponseWriter, r *http.Request, max int64) ([]byte, func(), error) {
	if r.ContentLength > max {
		return nil, func() {}, tooLarge(max)
	}
	rd := &reader{b: b, src: http.MaxBytesReader(w, r.Body, max), max: max}
	body, err := rd.readAll(r.ContentLength)
	if err != nil {
		b.release(rd.held)
		return nil, func() {}, err
	}
	var once sync.Once
	return body, func() { once.Do(func() { b.release(rd.held) }) }, nil
}

// reader reads one body, reserving its buffer's bytes as it grows.
type reader struct {
	b    *Budget
	src  io.Reader
	max  int64
	held int64
}

func (rd *reader) readAll(contentLength int64) ([]byte, error) {
	// A short body announced honestly needs no more than its length (plus
	// one byte to see its end); any other starts small and doubles.
	size := int64(firstChunk)
	if contentLength >= 0 && contentLength < size {
		size = contentLength + 1
	}
	var buf []byte
	if err := rd.grow(&buf, min(size, rd.max)); err != nil {
		return nil, err
	}
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) >= rd.max {
				return buf, rd.atCap()
			}
			if err := rd.grow(&buf, min(2*int64(cap(buf)), rd.max)); err != nil {
				return nil, err
			}
		}
		n, err := rd.src.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		switch {
		case errors.Is(err, io.EOF):
			return buf, nil
		case isMaxBytes(err):
			return nil, tooLarge(rd.max)
		case err != nil:
			return nil, readError(err)
		}
	}
}

// grow gives *buf a capacity of size bytes, reserved in the budget first.
func (rd *reader) grow(buf *[]byte, size int64) error {
	more := size - int64(cap(*buf))
	if !rd.b.reserve(more) {
		return orderhub.Errorf(orderhub.EUnavailable,
			"too many request bytes are being received at once (over the %d-byte budget); retry later", rd.b.limit)
	}
	rd.held += more
	next := make([]byte, len(*buf), size)
	copy(next, *buf)
	*buf = next
	return nil
}

// atCap checks that a body of exactly max bytes has ended.
func (rd *reader) atCap() error {
	for {
		var one [1]byte
		n, err := rd.src.Read(one[:])
		switch {
		case n > 0 || isMaxBytes(err):
			return tooLarge(rd.max)
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return readError(err)
		}
	}
}

func tooLarge(max int64) error {
	return orderhub.Errorf(orderhub.ETooLarge, "body is larger than the %d-byte limit", max)
}

func isMaxBytes(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

func readError(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, context.Canceled) {
		return orderhub.WrapError(orderhub.EInvalid, err, "body ended early")
	}
	return orderhub.WrapError(orderhub.EInvalid, err, "body could not be read")
}

// String describes the budget for logs.
func (b *Budget) String() string {
	return fmt.Sprintf("bodylimit.Budget{%d of %d bytes held}", b.Held(), b.limit)
}
