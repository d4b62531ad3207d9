package routing

import (
	"strings"

	"github.com/orderhub/orderhub"
)

// Rule names one routing rule. Rules apply in the configured order, each
// breaking the ties the ones before it leave, as Shopify's order routing
// does; the location id breaks any tie that remains.
type Rule string

// The routing rules.
const (
	// RuleMinimizeSplits prefers a location that can ship the whole order,
	// then the fewest locations that together cover it.
	RuleMinimizeSplits Rule = "minimize_splits"
	// RuleClosest prefers the location nearest the ship-to address: by
	// great-circle distance when both have coordinates, otherwise same
	// province, then same country, then the rest.
	RuleClosest Rule = "closest"
	// RulePriority prefers the location with the lower Priority number.
	RulePriority Rule = "priority"
	// RuleStayInMarket prefers locations in the ship-to country.
	RuleStayInMarket Rule = "stay_in_market"
	// RuleCheapestDropship orders dropship suppliers by cost, then lead
	// days. Without it suppliers are ordered by lead days.
	RuleCheapestDropship Rule = "cheapest_dropship"
)

// AllRules lists every rule, in the order error messages name them.
func AllRules() []Rule {
	return []Rule{RuleMinimizeSplits, RuleClosest, RulePriority, RuleStayInMarket, RuleCheapestDropship}
}

func ruleNames() string {
	all := AllRules()
	names := make([]string, len(all))
	for i, r := range all {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

// Valid reports whether r is a known rule.
func (r Rule) Valid() bool { return ruleCode(r) != 0 }

// ParseRule returns the rule named s, or an Invalid error that names s and
// lists the valid rules.
func ParseRule(s string) (Rule, error) {
	r := Rule(s)
	if !r.Valid() {
		return "", orderhub.Errorf(orderhub.EInvalid, "routing rule %q is not one of %s", s, ruleNames())
	}
	return r, nil
}

// ParseRules parses a configured list of rule names; an error names the
// position of the bad or repeated one.
func ParseRules(names []string) ([]Rule, error) {
	out := make([]Rule, len(names))
	for i, n := range names {
		r := Rule(n)
		if !r.Valid() {
			return nil, badRule(i, r)
		}
		out[i] = r
	}
	if err := checkRuleOrder(out); err != nil {
		return nil, err
	}
	return out, nil
}

// BackorderPolicy says what happens to units that neither own stock nor a
// supplier can ship.
type BackorderPolicy string

// Backorder policies.
const (
	// BackorderNotify backorders the units and tells the customer; it is
	// also what the empty policy means.
	BackorderNotify BackorderPolicy = "notify"
	// BackorderDeny refuses the units: the plan reports them as Unfilled,
	// with a reason, for the caller to reject or cancel.
	BackorderDeny BackorderPolicy = "deny"
)

// ParseBackorderPolicy returns the policy named s, or an Invalid error that
// names s and lists the valid policies.
func ParseBackorderPolicy(s string) (BackorderPolicy, error) {
	switch p := BackorderPolicy(s); p {
	case BackorderNotify, BackorderDeny:
		return p, nil
	}
	return "", orderhub.Errorf(orderhub.EInvalid, "backorder policy %q is not one of notify, deny", s)
}

// Rules is the merchant's routing configuration.
type Rules struct {
	// Order lists the rules, most important first.
	Order []Rule
	// AllowLineSplit lets one line ship from several locations, best-ranked
	// first. Without it a line ships in full from one location, or goes to
	// dropship or backorder whole.
	AllowLineSplit bool
	// Dropship lets lines that own stock cannot ship go to a supplier.
	Dropship bool
	// Backorders is the policy for units nobody can ship; empty means
	// BackorderNotify.
	Backorders BackorderPolicy
}

// Validate returns an Invalid error naming the first unknown or repeated
// rule, or an unknown backorder policy.
func (r Rules) Validate() error {
	for i, rule := range r.Order {
		if !rule.Valid() {
			return badRule(i, rule)
		}
	}
	if err := checkRuleOrder(r.Order); err != nil {
		return err
	}
	if r.Backorders != "" {
		if _, err := ParseBackorderPolicy(string(r.Backorders)); err != nil {
			return err
		}
	}
	return nil
}

func badRule(i int, r Rule) error {
	return orderhub.Errorf(orderhub.EInvalid, "rules[%d]: routing rule %q is not one of %s", i, string(r), ruleNames())
}

func checkRuleOrder(rules []Rule) error {
	for i, a := range rules {
		for j := 0; j < i; j++ {
			if rules[j] == a {
				return orderhub.Errorf(orderhub.EInvalid, "rules[%d]: routing rule %q is already rules[%d]", i, a, j)
			}
		}
	}
	return nil
}

// has reports whether rule is configured.
func (r Rules) has(rule Rule) bool {
	for _, x := range r.Order {
		if x == rule {
			return true
		}
	}
	return false
}

// Rule codes let the hot comparison loop switch on bytes, not strings.
const (
	codeMinimizeSplits uint8 = iota + 1
	codeClosest
	codePriority
	codeStayInMarket
	codeCheapestDropship
)

func ruleCode(r Rule) uint8 {
	switch r {
	case RuleMinimizeSplits:
		return codeMinimizeSplits
	case RuleClosest:
		return codeClosest
	case RulePriority:
		return codePriority
	case RuleStayInMarket:
		return codeStayInMarket
	case RuleCheapestDropship:
		return codeCheapestDropship
	}
	return 0
}

// String returns the rule's configured name.
func (r Rule) String() string { return string(r) }
