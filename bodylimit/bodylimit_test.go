package bodylimit_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/bodylimit"
)

func request(body io.Reader, contentLength int64) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/webhooks/x/y", body)
	r.ContentLength = contentLength
	return r
}

func TestReadsWholeBodiesAndGivesTheirBytesBack(t *testing.T) {
	t.Parallel()
	b := bodylimit.NewBudget(1 << 20)
	for _, n := range []int{0, 1, 4095, 4096, 4097, 100_000, 1 << 19} {
		want := bytes.Repeat([]byte("x"), n)
		for _, cl := range []int64{int64(n), -1} { // announced, or chunked
			body, release, err := b.Read(httptest.NewRecorder(), request(bytes.NewReader(want), cl), 1<<19)
			require.NoError(t, err, "%d bytes, Content-Length %d", n, cl)
			require.Equal(t, want, body)
			require.GreaterOrEqual(t, b.Held(), int64(n), "a body's bytes are held until it is released")
			release()
			release() // a second call gives nothing back twice
			require.Zero(t, b.Held())
		}
	}
}

// TestGrowsAsBytesArrive: a client that announces 5 MiB and sends a few
// bytes holds one small buffer, not what it announced.
func TestGrowsAsBytesArrive(t *testing.T) {
	t.Parallel()
	b := bodylimit.NewBudget(0)
	require.Equal(t, int64(bodylimit.DefaultInFlightBytes), b.Limit())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, _, err := b.Read(httptest.NewRecorder(), request(pr, 5<<20), 5<<20)
		done <- err
	}()
	// The write returns once the reader has taken the bytes, so its buffer
	// is reserved by then.
	_, err := pw.Write([]byte(`{"id":`))
	require.NoError(t, err)
	require.LessOrEqual(t, b.Held(), int64(4<<10), "held %d bytes for 6 received", b.Held())
	pw.CloseWithError(io.ErrUnexpectedEOF) // the client goes away
	err = <-done
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err), "%v", err)
	require.Contains(t, orderhub.ErrorMessage(err), "ended early")
	require.Zero(t, b.Held(), "a body that failed gives its bytes back")
}

func TestCapsEachBody(t *testing.T) {
	t.Parallel()
	b := bodylimit.NewBudget(0)
	const max = 10_000
	exact := bytes.Repeat([]byte("y"), max)
	body, release, err := b.Read(httptest.NewRecorder(), request(bytes.NewReader(exact), -1), max)
	require.NoError(t, err, "a body of exactly the cap is taken")
	require.Len(t, body, max)
	release()
	for _, c := range []struct {
		name string
		body io.Reader
		cl   int64
	}{
		{"announced over the cap", strings.NewReader("{}"), max + 1},
		{"chunked over the cap", bytes.NewReader(bytes.Repeat([]byte("z"), max+1)), -1},
		{"much larger", bytes.NewReader(bytes.Repeat([]byte("z"), 10*max)), -1},
	} {
		_, release, err := b.Read(httptest.NewRecorder(), request(c.body, c.cl), max)
		require.Equal(t, orderhub.ETooLarge, orderhub.ErrorCode(err), c.name)
		require.Contains(t, orderhub.ErrorMessage(err), "10000-byte limit", c.name)
		release()
		require.Zero(t, b.Held(), c.name)
	}
}

// TestRefusesPastTheBudgetAtOnce: with the budget held by bodies not yet
// released, the next body is refused as Unavailable without waiting, and
// taken again once bytes are given back.
func TestRefusesPastTheBudgetAtOnce(t *testing.T) {
	t.Parallel()
	b := bodylimit.NewBudget(64 << 10)
	big := bytes.Repeat([]byte("a"), 40<<10)
	_, releaseBig, err := b.Read(httptest.NewRecorder(), request(bytes.NewReader(big), -1), 1<<20)
	require.NoError(t, err)
	second := bytes.Repeat([]byte("b"), 20<<10)
	_, _, err = b.Read(httptest.NewRecorder(), request(bytes.NewReader(second), int64(len(second))), 1<<20)
	require.Equal(t, orderhub.EUnavailable, orderhub.ErrorCode(err), "%v", err)
	require.Contains(t, orderhub.ErrorMessage(err), "retry later")
	held := b.Held()
	require.LessOrEqual(t, held, b.Limit())
	releaseBig()
	require.Zero(t, b.Held(), "the refused body kept nothing")
	got, release, err := b.Read(httptest.NewRecorder(), request(bytes.NewReader(second), int64(len(second))), 1<<20)
	require.NoError(t, err)
	require.Equal(t, second, got)
	release()
}

// TestConcurrentBodiesStayWithinTheBudget: many bodies at once over real
// HTTP; every one is either read whole or refused as Unavailable, the
// budget never goes over, and all of it comes back.
func TestConcurrentBodiesStayWithinTheBudget(t *testing.T) {
	t.Parallel()
	b := bodylimit.NewBudget(256 << 10)
	var mu sync.Mutex
	var peak int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, release, err := b.Read(w, r, 1<<20)
		defer release()
		mu.Lock()
		peak = max(peak, b.Held())
		mu.Unlock()
		if err != nil {
			http.Error(w, orderhub.ErrorCode(err), http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write(body[:8])
	}))
	t.Cleanup(srv.Close)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 64 {
		wg.Go(func() {
			body := bytes.Repeat([]byte{byte('a' + i%26)}, 30<<10)
			resp, err := srv.Client().Post(srv.URL, "application/json", bytes.NewReader(body))
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			got, _ := io.ReadAll(resp.Body)
			switch {
			case resp.StatusCode == 200 && bytes.Equal(got, body[:8]):
			case resp.StatusCode == 503 && strings.TrimSpace(string(got)) == orderhub.EUnavailable:
			default:
				errs <- errors.New(resp.Status + " " + string(got))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.LessOrEqual(t, peak, b.Limit())
	require.Zero(t, b.Held())
}
