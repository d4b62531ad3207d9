package bigcommerce

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the .golden.json files from the current output")

// TestGolden normalizes the testdata order with its products and shipping
// addresses and compares the result with its .golden.json file, so any
// change to the normalized output is a reviewed diff. Run with -update to
// accept a change.
func TestGolden(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	o, err := NormalizeOrder(read("order-5001-kwd.json"), read("order-5001-products.json"), read("order-5001-shipping-addresses.json"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(o, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden := filepath.Join("testdata", "order-5001-kwd.golden.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%s: %v (run go test -run TestGolden -update to create it)", golden, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("normalized order differs from %s; run go test -run TestGolden -update and review the diff\ngot:\n%s", golden, got)
	}
}
