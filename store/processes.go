package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river/rivertype"
)

// ProcessesTx is the operations on the registry of running orderhub
// processes and on the work they hold.
//
// Each process that works jobs registers under an id of its own (its River
// client id too) with a lease of a few seconds and renews it every second
// or so. Whatever it claims is recorded against that id: the receipts it
// claims (ClaimReceipts) and the River jobs it runs (River's attempted_by).
// When a lease lapses, the holder is dead or cut off from the database, and
// any live process takes its work back at once with ReclaimLapsed, instead
// of waiting out the claim's own lease (jobs.rescue_after), which stays as
// the net under this one.
//
// Times are the callers' clocks. A lease of a few seconds needs the hosts'
// clocks to agree to well within that, as NTP keeps them.
type ProcessesTx interface {
	// RegisterProcess records a process as live until its lease ends. An id
	// already registered is renewed, keeping its start time.
	RegisterProcess(ctx context.Context, p RegisterProcessParams) (Process, error)
	// RenewProcess extends a registered process's lease; an unknown id (one
	// forgotten after lapsing) is NotFound, and the process must register
	// again.
	RenewProcess(ctx context.Context, p RenewProcessParams) (Process, error)
	// EndProcess ends a process's lease at At, as a graceful stop does, so
	// whatever it still holds is reclaimed at once. The row stays, listed
	// as lapsed, until ReclaimLapsed forgets it. An unknown id is NotFound.
	EndProcess(ctx context.Context, p EndProcessParams) error
	// ListProcesses lists the registered processes, live and lapsed, oldest
	// first.
	ListProcesses(ctx context.Context) ([]Process, error)
	// ReclaimLapsed takes back, in one transaction, the work of every
	// process whose lease ended at or before At: receipts they claimed come
	// due at once, and River jobs they were running go back to available
	// (see ReclaimedJob). Work of a live process, and of the reclaiming
	// process itself, is never touched. Processes lapsed for longer than
	// ForgetAfter are deleted.
	ReclaimLapsed(ctx context.Context, p ReclaimLapsedParams) (Reclaimed, error)
}

// Process is one registered orderhub process.
type Process struct {
	// ID is also the process's River client id, so River's attempted_by
	// names it.
	ID          string    `json:"id"`
	Host        string    `json:"host"`
	PID         int       `json:"pid"`
	StartedAt   time.Time `json:"started_at"`
	HeartbeatAt time.Time `json:"heartbeat_at"` // the last renewal
	LeaseUntil  time.Time `json:"lease_until"`
}

// Live reports whether the process's lease holds at at.
func (p Process) Live(at time.Time) bool { return at.Before(p.LeaseUntil) }

// maxProcessIDLen is River's limit on a client id.
const maxProcessIDLen = 100

// NewProcessID makes a process id from its host and pid and a random part,
// so a restarted process on the same host and pid is another process. It
// fits River's client id rules (at most 100 characters).
func NewProcessID(host string, pid int) string {
	host = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-':
			return r
		}
		return '_'
	}, host)
	if host == "" {
		host = "unknown_host"
	}
	host = host[:min(len(host), 60)]
	var b [4]byte
	_, _ = rand.Read(b[:])
	id := fmt.Sprintf("%s_%d_%s", host, pid, hex.EncodeToString(b[:]))
	return id[:min(len(id), maxProcessIDLen)]
}

// RegisterProcessParams are the inputs of RegisterProcess.
type RegisterProcessParams struct {
	ID   string
	Host string
	PID  int
	// At is when the process registers; the store's clock when zero.
	At time.Time
	// Lease is how long the registration holds without a renewal.
	Lease time.Duration
}

// RenewProcessParams are the inputs of RenewProcess.
type RenewProcessParams struct {
	ID string
	// At is when the process renews; the store's clock when zero. The lease
	// then holds until At + Lease.
	At    time.Time
	Lease time.Duration
}

// EndProcessParams are the inputs of EndProcess.
type EndProcessParams struct {
	ID string
	At time.Time // when the lease ends; the store's clock when zero
}

// ReclaimLapsedParams are the inputs of ReclaimLapsed.
type ReclaimLapsedParams struct {
	// At is the time leases are judged at; the store's clock when zero.
	At time.Time
	// By is the reclaiming process, whose own work is never reclaimed, even
	// when its renewal is late.
	By string
	// ForgetAfter is how long a lapsed process stays listed; 24 hours when
	// zero.
	ForgetAfter time.Duration
}

// DefaultForgetAfter is how long a lapsed process stays listed when
// ReclaimLapsedParams.ForgetAfter is zero.
const DefaultForgetAfter = 24 * time.Hour

// Reclaimed is what ReclaimLapsed took back.
type Reclaimed struct {
	Receipts []ReclaimedReceipt
	Jobs     []ReclaimedJob
	// Forgotten counts the lapsed processes deleted.
	Forgotten int
}

// Empty reports whether nothing was reclaimed.
func (r Reclaimed) Empty() bool { return len(r.Receipts) == 0 && len(r.Jobs) == 0 }

// ReclaimedReceipt is a receipt made due again because its claimant lapsed.
type ReclaimedReceipt struct {
	ID      string
	Process string // the lapsed claimant
}

// ReclaimedJob is a River job taken back from a lapsed process. As River's
// own rescuer does, a job is available again (at its old scheduled time, so
// it runs first), or discarded when it had used its last attempt, or
// cancelled when cancelling it had been asked; the rescue is recorded in
// its errors and its river:rescue_count.
type ReclaimedJob struct {
	ID      int64
	Kind    string
	Process string // the lapsed process that was running it
	State   rivertype.JobState
}
