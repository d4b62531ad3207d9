package orderhub_test

import (
	"strings"
	"testing"

	"github.com/orderhub/orderhub"
)

func TestTransitionsMatchDesign(t *testing.T) {
	allowed := map[[2]orderhub.Status]bool{}
	chain := []orderhub.Status{"pending", "payment_processing", "paid", "awaiting_fulfillment", "partially_fulfilled", "fulfilled", "delivered"}
	for i := 0; i+1 < len(chain); i++ {
		allowed[[2]orderhub.Status{chain[i], chain[i+1]}] = true
	}
	for _, s := range []orderhub.Status{"pending", "payment_processing", "paid", "awaiting_fulfillment"} {
		allowed[[2]orderhub.Status{s, "cancelled"}] = true
	}
	allowed[[2]orderhub.Status{"fulfilled", "refunded"}] = true
	allowed[[2]orderhub.Status{"delivered", "refunded"}] = true

	for _, from := range orderhub.Statuses {
		for _, to := range orderhub.Statuses {
			want := allowed[[2]orderhub.Status{from, to}]
			if got := from.CanTransition(to); got != want {
				t.Errorf("%s → %s allowed=%v, want %v", from, to, got, want)
			}
			err := orderhub.CheckTransition(from, to)
			if want != (err == nil) {
				t.Errorf("CheckTransition(%s, %s) = %v", from, to, err)
			}
			if err != nil {
				if !strings.Contains(err.Error(), string(from)) || !strings.Contains(err.Error(), string(to)) {
					t.Errorf("error %q must name both statuses", err)
				}
				if orderhub.ErrorCode(err) != orderhub.EConflict {
					t.Errorf("error code %q, want conflict", orderhub.ErrorCode(err))
				}
			}
		}
	}
	if !orderhub.StatusCancelled.Terminal() || !orderhub.StatusRefunded.Terminal() || orderhub.StatusPaid.Terminal() {
		t.Error("terminal statuses are cancelled and refunded")
	}
}

func TestPathTo(t *testing.T) {
	path, ok := orderhub.StatusPending.PathTo(orderhub.StatusAwaitingFulfillment)
	if !ok || len(path) != 3 || path[0] != orderhub.StatusPaymentProcessing || path[2] != orderhub.StatusAwaitingFulfillment {
		t.Fatalf("path = %v, %v", path, ok)
	}
	if _, ok := orderhub.StatusCancelled.PathTo(orderhub.StatusPaid); ok {
		t.Fatal("nothing leaves cancelled")
	}
	if p, ok := orderhub.StatusPaid.PathTo(orderhub.StatusPaid); !ok || len(p) != 0 {
		t.Fatal("a status reaches itself with no steps")
	}
}

func TestReplayStatus(t *testing.T) {
	ev := []orderhub.OrderEvent{
		{ID: 1, Kind: orderhub.EventCreated, To: "pending"},
		{ID: 2, Kind: orderhub.EventTransition, From: "pending", To: "payment_processing"},
		{ID: 3, Kind: orderhub.EventNote, Note: "hello"},
		{ID: 4, Kind: orderhub.EventTransition, From: "payment_processing", To: "cancelled"},
	}
	st, err := orderhub.ReplayStatus(ev)
	if err != nil || st != orderhub.StatusCancelled {
		t.Fatalf("replay = %s, %v", st, err)
	}
	ev[3].From = "paid"
	if _, err := orderhub.ReplayStatus(ev); err == nil {
		t.Fatal("a gap in the log must be an error")
	}
	if _, err := orderhub.ParseStatus("shipped"); err == nil || !strings.Contains(err.Error(), "awaiting_fulfillment") {
		t.Fatalf("ParseStatus error must list the statuses: %v", err)
	}
}

func TestErrorCodes(t *testing.T) {
	err := orderhub.WrapError(orderhub.ENotFound, errSentinel{}, "order %s not found", "x")
	if orderhub.ErrorCode(err) != orderhub.ENotFound || orderhub.ErrorMessage(err) != "order x not found" {
		t.Fatalf("code %q message %q", orderhub.ErrorCode(err), orderhub.ErrorMessage(err))
	}
	if orderhub.ErrorCode(errSentinel{}) != orderhub.EInternal || orderhub.ErrorMessage(errSentinel{}) != "internal error" {
		t.Fatal("a plain error is internal and its text stays out of user messages")
	}
	if orderhub.ErrorCode(nil) != "" {
		t.Fatal("nil has no code")
	}
}

type errSentinel struct{}

func (errSentinel) Error() string { return "db password=hunter2 leaked" }
