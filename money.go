package orderhub

import (
	"fmt"
	"math/bits"
	"strings"
)

// Money is an exact amount of a currency, held as an integer count of the
// currency's minor units (cents for USD, yen for JPY, fils for KWD). A float
// never touches it: platforms send decimal strings and ParseMoney reads them
// digit by digit.
type Money struct {
	Amount   int64  `json:"amount"`   // minor units
	Currency string `json:"currency"` // ISO 4217 code, upper case
}

// currencyExponents lists the ISO 4217 currencies whose minor unit is not
// two decimal places. Every other well-formed code has exponent 2.
var currencyExponents = map[string]int{
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0,
	"KRW": 0, "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0,
	"XAF": 0, "XOF": 0, "XPF": 0,
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
	"CLF": 4, "UYW": 4,
}

// CurrencyExponent returns the number of decimal places of the currency's
// minor unit, or an Invalid error when code is not three letters A-Z.
func CurrencyExponent(code string) (int, error) {
	if len(code) != 3 {
		return 0, Errorf(EInvalid, "currency %q is not a three-letter ISO 4217 code", code)
	}
	for i := 0; i < 3; i++ {
		if code[i] < 'A' || code[i] > 'Z' {
			return 0, Errorf(EInvalid, "currency %q is not a three-letter ISO 4217 code", code)
		}
	}
	if e, ok := currencyExponents[code]; ok {
		return e, nil
	}
	return 2, nil
}

// NormalizeCurrency upper-cases and trims a currency code and checks it.
func NormalizeCurrency(code string) (string, error) {
	c := strings.ToUpper(strings.TrimSpace(code))
	if _, err := CurrencyExponent(c); err != nil {
		return "", err
	}
	return c, nil
}

// ParseMoney reads a decimal string such as "19.99", "-5.00", "1200" or
// "0.125" exactly into minor units of currency. More fraction digits than
// the currency has are accepted only when the extra digits are zeros
// ("10.000" USD is 1000 cents); anything else would need rounding and is an
// Invalid error. Use ParseMoneyRounded for platforms that send
// over-precise computed values.
func ParseMoney(s, currency string) (Money, error) {
	return parseMoney(s, currency, false)
}

// ParseMoneyRounded is ParseMoney that rounds extra fraction digits half
// away from zero, the rule the platforms use for displayed totals.
func ParseMoneyRounded(s, currency string) (Money, error) {
	return parseMoney(s, currency, true)
}

// MustParseMoney is ParseMoney for constants in tests and examples; it panics
// on a bad literal.
func MustParseMoney(s, currency string) Money {
	m, err := ParseMoney(s, currency)
	if err != nil {
		panic(err)
	}
	return m
}

const maxMinor = int64(^uint64(0) >> 1)

func parseMoney(s, currency string, round bool) (Money, error) {
	cur, err := NormalizeCurrency(currency)
	if err != nil {
		return Money{}, err
	}
	exp, _ := CurrencyExponent(cur)
	in := strings.TrimSpace(s)
	bad := func(why string) (Money, error) {
		return Money{}, Errorf(EInvalid, "amount %q for %s: %s", s, cur, why)
	}
	if in == "" {
		return bad("empty")
	}
	neg := false
	switch in[0] {
	case '-':
		neg = true
		in = in[1:]
	case '+':
		in = in[1:]
	}
	intPart, frac, hasDot := strings.Cut(in, ".")
	if intPart == "" && frac == "" {
		return bad("no digits")
	}
	if hasDot && frac == "" && intPart == "" {
		return bad("no digits")
	}
	for _, part := range []string{intPart, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return bad("not a decimal number")
			}
		}
	}
	var v uint64
	add := func(d byte) bool {
		hi, lo := bits.Mul64(v, 10)
		if hi != 0 {
			return false
		}
		lo2, carry := bits.Add64(lo, uint64(d-'0'), 0)
		if carry != 0 || lo2 > uint64(maxMinor) {
			return false
		}
		v = lo2
		return true
	}
	for i := 0; i < len(intPart); i++ {
		if !add(intPart[i]) {
			return bad("out of range")
		}
	}
	for i := 0; i < exp; i++ {
		d := byte('0')
		if i < len(frac) {
			d = frac[i]
		}
		if !add(d) {
			return bad("out of range")
		}
	}
	if len(frac) > exp {
		extra := frac[exp:]
		if strings.Trim(extra, "0") != "" {
			if !round {
				return bad(fmt.Sprintf("more than %d decimal places", exp))
			}
			if extra[0] >= '5' {
				if v == uint64(maxMinor) {
					return bad("out of range")
				}
				v++
			}
		}
	}
	amt := int64(v)
	if neg {
		amt = -amt
	}
	return Money{Amount: amt, Currency: cur}, nil
}

// String formats m as a plain decimal with the currency's exponent, e.g.
// "19.99", "-0.05", "1200" (JPY), "1.250" (KWD). ParseMoney reads it back.
func (m Money) String() string {
	exp, err := CurrencyExponent(m.Currency)
	if err != nil {
		exp = 2
	}
	neg := m.Amount < 0
	u := uint64(m.Amount)
	if neg {
		u = -u
	}
	digits := fmt.Sprintf("%d", u)
	if exp > 0 {
		if len(digits) <= exp {
			digits = strings.Repeat("0", exp-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-exp] + "." + digits[len(digits)-exp:]
	}
	if neg {
		return "-" + digits
	}
	return digits
}

// Display formats m with its currency code, e.g. "19.99 USD".
func (m Money) Display() string { return m.String() + " " + m.Currency }

// Zero returns a zero amount of currency.
func Zero(currency string) Money { return Money{Currency: currency} }

// IsZero reports whether the amount is zero.
func (m Money) IsZero() bool { return m.Amount == 0 }

func (m Money) sameCurrency(o Money, op string) error {
	if m.Currency != o.Currency {
		return Errorf(EInvalid, "cannot %s %s and %s amounts", op, m.Currency, o.Currency)
	}
	return nil
}

// Add returns m+o; the currencies must match and the sum must fit.
func (m Money) Add(o Money) (Money, error) {
	if err := m.sameCurrency(o, "add"); err != nil {
		return Money{}, err
	}
	s := m.Amount + o.Amount
	if (s > m.Amount) != (o.Amount > 0) {
		return Money{}, Errorf(EInvalid, "sum of %s and %s overflows", m, o)
	}
	return Money{Amount: s, Currency: m.Currency}, nil
}

// Sub returns m-o; the currencies must match and the difference must fit.
func (m Money) Sub(o Money) (Money, error) {
	if o.Amount == -maxMinor-1 {
		return Money{}, Errorf(EInvalid, "difference overflows")
	}
	return m.Add(Money{Amount: -o.Amount, Currency: o.Currency})
}

// Mul returns m×n, or an error when the product does not fit.
func (m Money) Mul(n int64) (Money, error) {
	p, ok := mulDivRound(m.Amount, n, 1)
	if !ok {
		return Money{}, Errorf(EInvalid, "%s × %d overflows", m, n)
	}
	return Money{Amount: p, Currency: m.Currency}, nil
}

// Share returns the part/whole share of m, rounded half away from zero, for
// pro-rata splits such as one unit's part of a line discount. whole must be
// positive and 0 <= part <= whole, so the result never exceeds m.
func (m Money) Share(part, whole int64) Money {
	if whole <= 0 || part < 0 || part > whole {
		panic(fmt.Sprintf("orderhub: Money.Share(%d, %d) out of range", part, whole))
	}
	v, _ := mulDivRound(m.Amount, part, whole)
	return Money{Amount: v, Currency: m.Currency}
}

// CumulativeShare returns the share of m owed for units done+n of whole when
// done units were already taken: Share(done+n) − Share(done). Taking every
// unit in any number of steps therefore adds up to exactly m.
func (m Money) CumulativeShare(done, n, whole int64) Money {
	a := m.Share(done+n, whole)
	b := m.Share(done, whole)
	return Money{Amount: a.Amount - b.Amount, Currency: m.Currency}
}

// mulDivRound computes a*b/c rounded half away from zero in 128-bit
// arithmetic. ok is false when the result does not fit in int64. c > 0.
func mulDivRound(a, b, c int64) (int64, bool) {
	neg := (a < 0) != (b < 0)
	ua, ub := absU(a), absU(b)
	hi, lo := bits.Mul64(ua, ub)
	uc := uint64(c)
	if hi >= uc {
		return 0, false
	}
	q, r := bits.Div64(hi, lo, uc)
	if r >= uc-r { // r*2 >= c without overflow
		q++
	}
	if q > uint64(maxMinor) {
		return 0, false
	}
	if neg {
		return -int64(q), true
	}
	return int64(q), true
}

func absU(v int64) uint64 {
	if v < 0 {
		return uint64(-v)
	}
	return uint64(v)
}

// Sum adds amounts of one currency. An empty list sums to zero of currency.
func Sum(currency string, ms ...Money) (Money, error) {
	total := Zero(currency)
	for _, m := range ms {
		var err error
		if total, err = total.Add(m); err != nil {
			return Money{}, err
		}
	}
	return total, nil
}
