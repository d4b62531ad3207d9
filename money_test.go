package orderhub_test

import (
	"strings"
	"testing"

	"github.com/orderhub/orderhub"
)

func TestParseMoney(t *testing.T) {
	tests := []struct {
		in, cur string
		want    int64
		wantErr string
	}{
		{"19.99", "USD", 1999, ""},
		{"0.10", "USD", 10, ""},
		{"0.20", "USD", 20, ""},
		{"0.1", "USD", 10, ""},
		{".5", "USD", 50, ""},
		{"5.", "USD", 500, ""},
		{"1200", "JPY", 1200, ""},
		{"1200.0", "JPY", 1200, ""},
		{"1200.5", "JPY", 0, "more than 0 decimal places"},
		{"1.250", "KWD", 1250, ""},
		{"1.25", "KWD", 1250, ""},
		{"0.001", "KWD", 1, ""},
		{"0.0005", "KWD", 0, "more than 3 decimal places"},
		{"-5.00", "USD", -500, ""},
		{"-0.01", "usd", -1, ""},
		{"+3.10", "EUR", 310, ""},
		{"10.000", "USD", 1000, ""},
		{"10.001", "USD", 0, "more than 2 decimal places"},
		{" 7.00 ", "USD", 700, ""},
		{"92233720368547758.07", "USD", 9223372036854775807, ""},
		{"92233720368547758.08", "USD", 0, "out of range"},
		{"-92233720368547758.07", "USD", -9223372036854775807, ""},
		{"", "USD", 0, "empty"},
		{"-", "USD", 0, "no digits"},
		{".", "USD", 0, "no digits"},
		{"1e3", "USD", 0, "not a decimal"},
		{"1,000.00", "USD", 0, "not a decimal"},
		{"12.3.4", "USD", 0, "not a decimal"},
		{"--1", "USD", 0, "not a decimal"},
		{"NaN", "USD", 0, "not a decimal"},
		{"1.00", "US", 0, "three-letter"},
		{"1.00", "U$D", 0, "three-letter"},
	}
	for _, tc := range tests {
		t.Run(tc.in+"/"+tc.cur, func(t *testing.T) {
			got, err := orderhub.ParseMoney(tc.in, tc.cur)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseMoney(%q, %q) = %v, %v; want error containing %q", tc.in, tc.cur, got, err, tc.wantErr)
				}
				if orderhub.ErrorCode(err) != orderhub.EInvalid {
					t.Fatalf("error code %q, want invalid", orderhub.ErrorCode(err))
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseMoney(%q, %q): %v", tc.in, tc.cur, err)
			}
			if got.Amount != tc.want || got.Currency != strings.ToUpper(tc.cur) {
				t.Fatalf("ParseMoney(%q, %q) = %+v, want %d", tc.in, tc.cur, got, tc.want)
			}
		})
	}
}

func TestParseMoneyRounded(t *testing.T) {
	tests := []struct {
		in, cur string
		want    int64
	}{
		{"16.363636", "USD", 1636},
		{"16.365", "USD", 1637},
		{"16.364999", "USD", 1636},
		{"-16.365", "USD", -1637}, // half away from zero
		{"0.5", "JPY", 1},
		{"0.4999", "JPY", 0},
		{"1.2345", "KWD", 1235},
		{"2.00", "USD", 200},
	}
	for _, tc := range tests {
		got, err := orderhub.ParseMoneyRounded(tc.in, tc.cur)
		if err != nil || got.Amount != tc.want {
			t.Errorf("ParseMoneyRounded(%q, %q) = %d, %v; want %d", tc.in, tc.cur, got.Amount, err, tc.want)
		}
	}
}

// The float trap: 0.1 + 0.2 is 0.30000000000000004 in binary floating
// point. In minor units it is exactly 30 cents.
func TestMoneyAddIsExact(t *testing.T) {
	a := orderhub.MustParseMoney("0.10", "USD")
	b := orderhub.MustParseMoney("0.20", "USD")
	sum, err := a.Add(b)
	if err != nil {
		t.Fatal(err)
	}
	if sum != orderhub.MustParseMoney("0.30", "USD") || sum.String() != "0.30" {
		t.Fatalf("0.10 + 0.20 = %s (%d), want 0.30", sum, sum.Amount)
	}
	// Ten dimes make a dollar, exactly.
	total := orderhub.Zero("USD")
	for i := 0; i < 10; i++ {
		total, _ = total.Add(a)
	}
	if total.Amount != 100 {
		t.Fatalf("10 × 0.10 = %d cents", total.Amount)
	}
	if _, err := a.Add(orderhub.MustParseMoney("1", "EUR")); err == nil {
		t.Fatal("adding USD and EUR must fail")
	}
	max := orderhub.Money{Amount: 1<<63 - 1, Currency: "USD"}
	if _, err := max.Add(orderhub.MustParseMoney("0.01", "USD")); err == nil {
		t.Fatal("overflow must fail")
	}
	if _, err := max.Mul(2); err == nil {
		t.Fatal("overflowing multiply must fail")
	}
}

func TestMoneyString(t *testing.T) {
	tests := []struct {
		m    orderhub.Money
		want string
	}{
		{orderhub.Money{Amount: 1999, Currency: "USD"}, "19.99"},
		{orderhub.Money{Amount: 5, Currency: "USD"}, "0.05"},
		{orderhub.Money{Amount: -5, Currency: "USD"}, "-0.05"},
		{orderhub.Money{Amount: -1500, Currency: "USD"}, "-15.00"},
		{orderhub.Money{Amount: 1200, Currency: "JPY"}, "1200"},
		{orderhub.Money{Amount: 1250, Currency: "KWD"}, "1.250"},
		{orderhub.Money{Amount: 1, Currency: "KWD"}, "0.001"},
		{orderhub.Money{Amount: 0, Currency: "EUR"}, "0.00"},
		{orderhub.Money{Amount: -1 << 63, Currency: "USD"}, "-92233720368547758.08"},
	}
	for _, tc := range tests {
		if got := tc.m.String(); got != tc.want {
			t.Errorf("%+v.String() = %q, want %q", tc.m, got, tc.want)
		}
	}
}

// A negative refund is a refund: it parses, adds and prints with its sign.
func TestNegativeRefunds(t *testing.T) {
	paid := orderhub.MustParseMoney("43.85", "USD")
	refund := orderhub.MustParseMoney("-10.33", "USD")
	net, err := paid.Add(refund)
	if err != nil || net.String() != "33.52" {
		t.Fatalf("43.85 + -10.33 = %s, %v", net, err)
	}
	back, err := net.Sub(refund)
	if err != nil || back != paid {
		t.Fatalf("33.52 - -10.33 = %s, %v", back, err)
	}
	kwd := orderhub.MustParseMoney("-0.005", "KWD")
	if kwd.Amount != -5 || kwd.String() != "-0.005" {
		t.Fatalf("-0.005 KWD = %d %q", kwd.Amount, kwd)
	}
}

func TestMoneyShare(t *testing.T) {
	d := orderhub.MustParseMoney("10.00", "USD")
	if got := d.Share(1, 3); got.Amount != 333 {
		t.Fatalf("1/3 of 10.00 = %d", got.Amount)
	}
	if got := d.Share(2, 3); got.Amount != 667 {
		t.Fatalf("2/3 of 10.00 = %d", got.Amount)
	}
	// Cancelling one unit at a time adds up to the whole, to the cent.
	for _, whole := range []int64{1, 2, 3, 7, 9} {
		for _, amt := range []int64{1, 2, 100, 999, 1001, -1001} {
			m := orderhub.Money{Amount: amt, Currency: "USD"}
			var sum int64
			for done := int64(0); done < whole; done++ {
				sum += m.CumulativeShare(done, 1, whole).Amount
			}
			if sum != amt {
				t.Fatalf("shares of %d over %d units add to %d", amt, whole, sum)
			}
		}
	}
	big := orderhub.Money{Amount: 1 << 62, Currency: "USD"}
	if got := big.Share(3, 4); got.Amount != 3<<60 {
		t.Fatalf("128-bit share = %d", got.Amount)
	}
}

func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"0.10", "0.20", "-5.00", "1.250", "1200", "92233720368547758.07", "", ".", "1e3", "0.0005", "+.5"} {
		for _, c := range []string{"USD", "JPY", "KWD"} {
			f.Add(s, c)
		}
	}
	f.Fuzz(func(t *testing.T, s, cur string) {
		m, err := orderhub.ParseMoney(s, cur)
		if err != nil {
			if orderhub.ErrorCode(err) != orderhub.EInvalid {
				t.Fatalf("ParseMoney(%q, %q) error code %q", s, cur, orderhub.ErrorCode(err))
			}
			return
		}
		// Whatever parses prints back to a string that parses to the same value.
		again, err := orderhub.ParseMoney(m.String(), m.Currency)
		if err != nil || again != m {
			t.Fatalf("round trip %q %s -> %q -> %+v, %v", s, cur, m.String(), again, err)
		}
		// Rounding never changes a value that parsed exactly.
		r, err := orderhub.ParseMoneyRounded(s, cur)
		if err != nil || r != m {
			t.Fatalf("ParseMoneyRounded(%q) = %+v, %v; want %+v", s, r, err, m)
		}
		// Adding zero and subtracting itself are exact.
		if z, err := m.Sub(m); err != nil || z.Amount != 0 {
			t.Fatalf("%s - %s = %+v, %v", m, m, z, err)
		}
	})
}
