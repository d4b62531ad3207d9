package orderhub

import "strings"

// Status is where an order stands in its life. The statuses and the moves
// between them are the merchant's contract (DESIGN.md §3).
type Status string

// Order statuses.
const (
	StatusPending             Status = "pending"
	StatusPaymentProcessing   Status = "payment_processing"
	StatusPaid                Status = "paid"
	StatusAwaitingFulfillment Status = "awaiting_fulfillment"
	StatusPartiallyFulfilled  Status = "partially_fulfilled"
	StatusFulfilled           Status = "fulfilled"
	StatusDelivered           Status = "delivered"
	StatusCancelled           Status = "cancelled"
	StatusRefunded            Status = "refunded"
)

// Statuses lists every order status in life-cycle order.
var Statuses = []Status{
	StatusPending, StatusPaymentProcessing, StatusPaid, StatusAwaitingFulfillment,
	StatusPartiallyFulfilled, StatusFulfilled, StatusDelivered, StatusCancelled, StatusRefunded,
}

// transitions is the order state machine: each status and the statuses it
// may move to. It is exactly DESIGN.md §3.
var transitions = map[Status][]Status{
	StatusPending:             {StatusPaymentProcessing, StatusCancelled},
	StatusPaymentProcessing:   {StatusPaid, StatusCancelled},
	StatusPaid:                {StatusAwaitingFulfillment, StatusCancelled},
	StatusAwaitingFulfillment: {StatusPartiallyFulfilled, StatusCancelled},
	StatusPartiallyFulfilled:  {StatusFulfilled},
	StatusFulfilled:           {StatusDelivered, StatusRefunded},
	StatusDelivered:           {StatusRefunded},
	StatusCancelled:           nil,
	StatusRefunded:            nil,
}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	_, ok := transitions[s]
	return ok
}

// Terminal reports whether no transition leaves s.
func (s Status) Terminal() bool { return s.Valid() && len(transitions[s]) == 0 }

// Next returns the statuses s may move to.
func (s Status) Next() []Status { return append([]Status(nil), transitions[s]...) }

// CanTransition reports whether an order may move from s to to.
func (s Status) CanTransition(to Status) bool {
	for _, n := range transitions[s] {
		if n == to {
			return true
		}
	}
	return false
}

// ParseStatus returns the status named s, or an Invalid error listing the
// known ones.
func ParseStatus(s string) (Status, error) {
	st := Status(s)
	if !st.Valid() {
		names := make([]string, len(Statuses))
		for i, v := range Statuses {
			names[i] = string(v)
		}
		return "", Errorf(EInvalid, "status %q is not one of %s", s, strings.Join(names, ", "))
	}
	return st, nil
}

// CheckTransition returns nil when from → to is allowed, and otherwise a
// Conflict error that names both statuses.
func CheckTransition(from, to Status) error {
	if !to.Valid() {
		_, err := ParseStatus(string(to))
		return err
	}
	if !from.CanTransition(to) {
		return Errorf(EConflict, "order cannot move from %s to %s", from, to)
	}
	return nil
}

// PathTo returns the shortest chain of statuses leading from s to target,
// excluding s itself, so a caller that learns of a later status (a platform
// says an order is already paid) can record every step the machine takes.
// ok is false when target cannot be reached.
func (s Status) PathTo(target Status) (path []Status, ok bool) {
	if s == target {
		return nil, true
	}
	prev := map[Status]Status{s: ""}
	queue := []Status{s}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, n := range transitions[cur] {
			if _, seen := prev[n]; seen {
				continue
			}
			prev[n] = cur
			if n == target {
				for at := n; at != s; at = prev[at] {
					path = append([]Status{at}, path...)
				}
				return path, true
			}
			queue = append(queue, n)
		}
	}
	return nil, false
}
