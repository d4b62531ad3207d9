package admin

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/admin/live"
	"github.com/orderhub/orderhub/httpjson"
	"github.com/orderhub/orderhub/store"
)

// Jobs is what the dead-letter routes need from the job queue: the jobs
// River discarded after their last attempt, and retrying one. The app
// implements it over its River client.
type Jobs interface {
	// DiscardedJobs lists discarded jobs newest first, with ids below
	// Before when it is set.
	DiscardedJobs(ctx context.Context, before int64, limit int) ([]Job, error)
	// GetJob returns one job, or NotFound.
	GetJob(ctx context.Context, id int64) (Job, error)
	// RetryJob makes a job available to run again now.
	RetryJob(ctx context.Context, id int64) (Job, error)
}

// Job is a River job as an operator sees it.
type Job struct {
	ID          int64           `json:"id"`
	Kind        string          `json:"kind"`
	Queue       string          `json:"queue"`
	State       string          `json:"state"`
	Attempt     int             `json:"attempt"`
	MaxAttempts int             `json:"max_attempts"`
	Args        json.RawMessage `json:"args"`
	Errors      []JobError      `json:"errors"`
	CreatedAt   time.Time       `json:"created_at"`
	FinalizedAt *time.Time      `json:"finalized_at,omitempty"`
}

// JobError is one failed attempt of a job.
type JobError struct {
	At      time.Time `json:"at"`
	Attempt int       `json:"attempt"`
	Error   string    `json:"error"`
}

// Dead-letter sources.
const (
	SourceJob     = "job"
	SourceReceipt = "receipt"
)

// DeadLetter is a job or a webhook receipt that gave up, waiting for an
// operator to look at it and replay it.
type DeadLetter struct {
	// ID is "job-<river id>" or "receipt-<receipt id>".
	ID     string `json:"id"`
	Source string `json:"source"`
	// Kind is the job's kind or the receipt's webhook topic.
	Kind     string    `json:"kind"`
	ShopID   string    `json:"shop_id,omitempty"`
	OrderID  string    `json:"order_id,omitempty"`
	Attempts int       `json:"attempts"`
	Error    string    `json:"error"`
	At       time.Time `json:"at"`
	Job      *Job      `json:"job,omitempty"`
	// Receipt has no body: replaying it reprocesses the stored one.
	Receipt *store.Receipt `json:"receipt,omitempty"`
}

func jobLetterID(id int64) string { return "job-" + strconv.FormatInt(id, 10) }

// jobOwner finds the order, and so the shop, a job works on from the ids
// in its arguments. A job that names none belongs to no shop.
func (s *Server) jobOwner(ctx context.Context, j Job) (shop, order string) {
	var ids struct {
		OrderID       string `json:"order_id"`
		FulfillmentID string `json:"fulfillment_id"`
		BackorderID   string `json:"backorder_id"`
	}
	_ = json.Unmarshal(j.Args, &ids)
	switch {
	case ids.OrderID != "":
		if o, err := s.Store.GetOrder(ctx, ids.OrderID); err == nil {
			return o.ShopID, o.ID
		}
	case ids.FulfillmentID != "":
		if f, err := s.Store.GetFulfillment(ctx, ids.FulfillmentID); err == nil {
			return f.ShopID, f.OrderID
		}
	case ids.BackorderID != "":
		if b, err := s.Store.GetBackorder(ctx, ids.BackorderID); err == nil {
			return b.ShopID, b.OrderID
		}
	}
	return "", ""
}

// visible reports whether a dead letter of shop is in the caller's scope:
// one that belongs to no shop is for tokens that see every shop.
func visible(sc Scope, shop string) bool {
	if shop == "" {
		return sc.all
	}
	return sc.CanSee(shop)
}

func (s *Server) jobLetter(ctx context.Context, j Job) DeadLetter {
	shop, order := s.jobOwner(ctx, j)
	d := DeadLetter{ID: jobLetterID(j.ID), Source: SourceJob, Kind: j.Kind, ShopID: shop, OrderID: order, Attempts: j.Attempt, At: j.CreatedAt}
	if j.FinalizedAt != nil {
		d.At = *j.FinalizedAt
	}
	if n := len(j.Errors); n > 0 {
		d.Error = j.Errors[n-1].Error
	}
	jj := j
	d.Job = &jj
	return d
}

func receiptLetter(r store.Receipt) DeadLetter {
	rr := r
	return DeadLetter{ID: "receipt-" + r.ID, Source: SourceReceipt, Kind: r.Topic, ShopID: r.ShopID, OrderID: r.OrderID,
		Attempts: r.Attempts, Error: r.LastError, At: r.ReceivedAt, Receipt: &rr}
}

// deadLetterQuery filters the dead-letter list.
type deadLetterQuery struct {
	Source string // job, receipt or "" for both
	Shop   string
	After  string
	Limit  int
}

// DeadLetters lists the dead letters in the caller's scope: discarded jobs
// newest first, then dead receipts newest first, as one cursor-paged list.
func (s *Server) DeadLetters(ctx context.Context, q deadLetterQuery) ([]DeadLetter, string, error) {
	sc := ScopeFrom(ctx)
	if q.Shop != "" && !sc.CanSee(q.Shop) {
		return []DeadLetter{}, "", nil
	}
	switch q.Source {
	case "", SourceJob, SourceReceipt:
	default:
		return nil, "", orderhub.Errorf(orderhub.EInvalid, "source: %q is not one of job, receipt", q.Source)
	}
	limit := store.ListLimit(q.Limit)
	out := []DeadLetter{}
	inJobs := q.After == "" || strings.HasPrefix(q.After, "job-")
	if !inJobs && !strings.HasPrefix(q.After, "receipt-") {
		return nil, "", orderhub.Errorf(orderhub.EInvalid, "after: %q is not a cursor this list gave", q.After)
	}
	if inJobs && q.Source != SourceReceipt && s.Jobs != nil {
		var before int64
		if q.After != "" {
			n, err := strconv.ParseInt(strings.TrimPrefix(q.After, "job-"), 10, 64)
			if err != nil {
				return nil, "", orderhub.Errorf(orderhub.EInvalid, "after: %q is not a cursor this list gave", q.After)
			}
			before = n
		}
		for len(out) < limit {
			batch, err := s.Jobs.DiscardedJobs(ctx, before, limit+1)
			if err != nil {
				return nil, "", err
			}
			for _, j := range batch {
				before = j.ID
				d := s.jobLetter(ctx, j)
				if !visible(sc, d.ShopID) || (q.Shop != "" && d.ShopID != q.Shop) {
					continue
				}
				if len(out) == limit {
					return out, out[limit-1].ID, nil
				}
				out = append(out, d)
			}
			if len(batch) <= limit {
				break
			}
		}
	}
	if q.Source == SourceJob {
		return out, "", nil
	}
	after := ""
	if strings.HasPrefix(q.After, "receipt-") {
		after = strings.TrimPrefix(q.After, "receipt-")
	}
	shops := sc.ShopIDs()
	if q.Shop != "" {
		shops = []string{q.Shop}
	}
	for len(out) < limit+1 {
		page, err := s.Store.ListDeadReceipts(ctx, store.ListReceiptsParams{ShopIDs: shops, After: after, Limit: limit + 1 - len(out)})
		if err != nil {
			return nil, "", err
		}
		for _, r := range page.Receipts {
			out = append(out, receiptLetter(r))
		}
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	if len(out) > limit {
		out = out[:limit]
		return out, out[limit-1].ID, nil
	}
	return out, "", nil
}

func (s *Server) listDeadLetters(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	dq := deadLetterQuery{Source: q.Get("source"), Shop: q.Get("shop"), After: q.Get("after")}
	if l := q.Get("limit"); l != "" {
		n, err := parsePositive(l)
		if err != nil {
			s.fail(w, r, orderhub.Errorf(orderhub.EInvalid, "limit: %q is not a positive whole number", l))
			return
		}
		dq.Limit = n
	}
	list, next, err := s.DeadLetters(r.Context(), dq)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"dead_letters": list, "next": next})
}

// ReplayDeadLetter retries a discarded job or reprocesses a dead receipt
// in the caller's scope; anything outside it is NotFound.
func (s *Server) ReplayDeadLetter(ctx context.Context, id string) (DeadLetter, error) {
	sc := ScopeFrom(ctx)
	notFound := orderhub.Errorf(orderhub.ENotFound, "dead letter %s not found", id)
	switch {
	case strings.HasPrefix(id, "job-"):
		n, err := strconv.ParseInt(strings.TrimPrefix(id, "job-"), 10, 64)
		if err != nil || s.Jobs == nil {
			return DeadLetter{}, notFound
		}
		j, err := s.Jobs.GetJob(ctx, n)
		if orderhub.ErrorCode(err) == orderhub.ENotFound {
			return DeadLetter{}, notFound
		}
		if err != nil {
			return DeadLetter{}, err
		}
		d := s.jobLetter(ctx, j)
		if !visible(sc, d.ShopID) {
			return DeadLetter{}, notFound
		}
		if j.State != "discarded" && j.State != "cancelled" {
			return DeadLetter{}, orderhub.Errorf(orderhub.EConflict, "job %d is %s, not discarded: there is nothing to replay", j.ID, j.State)
		}
		j, err = s.Jobs.RetryJob(ctx, n)
		if err != nil {
			return DeadLetter{}, err
		}
		d = s.jobLetter(ctx, j)
		s.publish(ctx, live.Event{Type: live.DeadLetterChanged, ShopID: d.ShopID, OrderID: d.OrderID, Note: "replayed " + d.ID})
		return d, nil
	case strings.HasPrefix(id, "receipt-"):
		rid := strings.TrimPrefix(id, "receipt-")
		rc, err := s.Store.GetReceipt(ctx, rid)
		if orderhub.ErrorCode(err) == orderhub.ENotFound || (err == nil && !sc.CanSee(rc.ShopID)) {
			return DeadLetter{}, notFound
		}
		if err != nil {
			return DeadLetter{}, err
		}
		rc, err = s.Store.ReplayReceipt(ctx, rid)
		if err != nil {
			return DeadLetter{}, err
		}
		d := receiptLetter(rc)
		s.publish(ctx, live.Event{Type: live.DeadLetterChanged, ShopID: d.ShopID, OrderID: d.OrderID, Note: "replayed " + d.ID})
		return d, nil
	}
	return DeadLetter{}, notFound
}

func (s *Server) replayDeadLetter(w http.ResponseWriter, r *http.Request) {
	d, err := s.ReplayDeadLetter(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, d)
}
