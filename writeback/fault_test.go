package writeback_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/admin"
	"github.com/orderhub/orderhub/connectors/apiclient/fakeplatform"
	"github.com/orderhub/orderhub/writeback"
)

// TestFaultsEveryWriteBackLandsOnce drives fulfillments of all three
// platforms through write-back while each platform's proxy fails 30% of
// the calls at random: 500s, 429s with Retry-After, answers lost after the
// platform acted, and answers held past the client's timeout. Every
// fulfillment, note and tracking item must land exactly once, tracking
// changed mid-flight must end as the newest, and no call may come back
// before its 429's Retry-After.
func TestFaultsEveryWriteBackLandsOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("the fault test drives many write-backs through River")
	}
	seed := uint64(20261128)
	if v := os.Getenv("ORDERHUB_FAULT_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		require.NoError(t, err, "ORDERHUB_FAULT_SEED")
		seed = n
	}
	t.Logf("seed %d (replay with ORDERHUB_FAULT_SEED=%d)", seed, seed)
	b := setup(t, options{maxAttempts: 25, chaos: &fakeplatform.ChaosOptions{Rate: 0.3, Seed: seed,
		RetryAfter: 250 * time.Millisecond, SlowFor: 800 * time.Millisecond}})
	const perPlatform = 6
	var ps []placed
	want := map[string]string{} // fulfillment id → final tracking number
	for i := range perPlatform {
		for _, pl := range platforms {
			p := b.place(t, pl, len(ps))
			ps = append(ps, p)
			tracking := fmt.Sprintf("TRK-%d-A", len(ps))
			b.ship(t, p, "UPS", tracking)
			want[p.fulfillment.ID] = tracking
			if i%2 == 1 {
				// The tracking changes while the first write-back is queued
				// or running: the platform must end with the new one.
				tracking = fmt.Sprintf("TRK-%d-B", len(ps))
				b.ship(t, p, "FedEx", tracking)
				want[p.fulfillment.ID] = tracking
			}
		}
	}
	b.start(t)
	b.settle(t, 4*time.Minute)

	require.Zero(t, b.countJobs(t, writeback.FulfillmentArgs{}.Kind(), rivertype.JobStateDiscarded), "no write-back gave up")
	require.Zero(t, b.countJobs(t, writeback.NoteArgs{}.Kind(), rivertype.JobStateDiscarded))
	for _, p := range ps {
		b.landed(t, p, want[p.fulfillment.ID])
	}
	// WooCommerce keeps a note per tracking number: the superseded one at
	// most once.
	for _, p := range ps {
		if p.platform != orderhub.PlatformWooCommerce {
			continue
		}
		notes := b.woo.Notes(p.remoteID)
		require.LessOrEqual(t, len(notes), 3, "routed + at most one note per tracking number")
		for _, n := range notes {
			require.Equal(t, 1, notesWith(notes, n.Note[:strings.Index(n.Note, "]")+1]), "note %q once", n.Note)
		}
	}

	faults := map[fakeplatform.ChaosFault]int{}
	calls := 0
	for shop, c := range b.chaos {
		for k, n := range c.Counts() {
			faults[k] += n
		}
		calls += len(c.Records())
		for _, v := range c.RetryAfterViolations() {
			t.Errorf("%s: %s %s came back %s before the Retry-After of its 429 had passed", shop, v.Retry.Method, v.Retry.Path, v.Early)
		}
	}
	t.Logf("%d calls through the proxies; faults injected: %v", calls, faults)
	for _, k := range []fakeplatform.ChaosFault{fakeplatform.ChaosError, fakeplatform.ChaosRateLimit, fakeplatform.ChaosLostAnswer, fakeplatform.ChaosSlow} {
		require.Positive(t, faults[k], "the run injected %s faults", k)
	}
	require.Greater(t, float64(faults[fakeplatform.ChaosError]+faults[fakeplatform.ChaosRateLimit]+faults[fakeplatform.ChaosLostAnswer]+faults[fakeplatform.ChaosSlow]),
		0.2*float64(calls), "about 30%% of the calls failed")
}

// TestDeadLetterReplay makes a write-back fail until River discards it,
// finds it in GET /api/v1/dead-letters, and replays it with POST .../replay
// once the platform is back: it lands exactly once.
func TestDeadLetterReplay(t *testing.T) {
	b := setup(t, options{maxAttempts: 2, maxRetries: -1})
	b.shopify.InjectFailure(-1, fakeplatform.Failure{Status: http.StatusInternalServerError}) // an outage
	p := b.place(t, orderhub.PlatformShopify, 1)
	b.ship(t, p, "UPS", "1ZDEAD")
	b.start(t)
	ctx := context.Background()
	require.Eventually(t, func() bool {
		return b.countJobs(t, writeback.FulfillmentArgs{}.Kind(), rivertype.JobStateDiscarded) == 1 &&
			b.countJobs(t, writeback.NoteArgs{}.Kind(), rivertype.JobStateDiscarded) == 1
	}, 30*time.Second, 20*time.Millisecond)
	require.Equal(t, 2, b.failures.get("shopify"), "both gave up, and were counted")
	require.Empty(t, b.shopify.FulfillmentsOf(p.remoteID))
	events, err := b.st.ListEvents(ctx, p.order.ID)
	require.NoError(t, err)
	gaveUp := 0
	for _, e := range events {
		if e.Kind == orderhub.EventWriteBack && strings.Contains(e.Note, "gave up after 2 attempts") {
			gaveUp++
			require.Contains(t, e.Note, "POST /api/v1/dead-letters/job-")
		}
	}
	require.Equal(t, 2, gaveUp, "the timeline says so")

	const token = "ops-token"
	srv := &admin.Server{Store: b.st, Jobs: admin.RiverJobs[*sql.Tx]{Client: b.river}, Tokens: []admin.Token{{Token: token, Shops: []string{shopShopify}}}}
	ts := httptest.NewServer(srv.Routes())
	defer ts.Close()
	call := func(method, path string) (int, []byte) {
		req, err := http.NewRequest(method, ts.URL+path, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, body
	}
	status, body := call("GET", "/dead-letters?source=job")
	require.Equal(t, http.StatusOK, status, string(body))
	var list struct {
		DeadLetters []admin.DeadLetter `json:"dead_letters"`
	}
	require.NoError(t, json.Unmarshal(body, &list))
	var letter *admin.DeadLetter
	for i, d := range list.DeadLetters {
		if d.Kind == (writeback.FulfillmentArgs{}).Kind() {
			letter = &list.DeadLetters[i]
		}
	}
	require.NotNil(t, letter, "the write-back is listed: %s", body)
	require.Equal(t, shopShopify, letter.ShopID, "scoped to its shop through the fulfillment id")
	require.Equal(t, p.order.ID, letter.OrderID)
	require.Equal(t, 2, letter.Attempts)
	require.Contains(t, letter.Error, "500")

	// The platform recovers; the operator replays.
	b.shopify.ClearFailures()
	status, body = call("POST", "/dead-letters/"+letter.ID+"/replay")
	require.Equal(t, http.StatusOK, status, string(body))
	require.Eventually(t, func() bool {
		return b.countJobs(t, writeback.FulfillmentArgs{}.Kind(), rivertype.JobStateCompleted) == 1
	}, 30*time.Second, 20*time.Millisecond)
	fs := b.shopify.FulfillmentsOf(p.remoteID)
	require.Len(t, fs, 1)
	require.Equal(t, "1ZDEAD", fs[0].TrackingNumber)
	f, err := b.st.GetFulfillment(ctx, p.fulfillment.ID)
	require.NoError(t, err)
	require.Equal(t, fs[0].GID(), f.PlatformID)

	// Replaying again is refused: it is no longer a dead letter.
	status, _ = call("POST", "/dead-letters/"+letter.ID+"/replay")
	require.Equal(t, http.StatusConflict, status)
	require.Len(t, b.shopify.FulfillmentsOf(p.remoteID), 1)
}
