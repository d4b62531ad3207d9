package shopify

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the .golden.json files from the current output")

// TestGolden normalizes every order in testdata and compares the result
// with its .golden.json file, so any change to the normalized output is a
// reviewed diff. Run with -update to accept a change.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "order-*.json"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, ".golden.json") {
			continue
		}
		n++
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		o, err := NormalizeOrder(body)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		got, err := json.MarshalIndent(o, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, '\n')
		golden := strings.TrimSuffix(f, ".json") + ".golden.json"
		if *update {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%s: %v (run go test -run TestGolden -update to create it)", golden, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: normalized order differs from %s; run go test -run TestGolden -update and review the diff\ngot:\n%s", f, golden, got)
		}
	}
	if n == 0 {
		t.Fatal("no order testdata found")
	}
}
