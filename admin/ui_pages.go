package admin

import (
	"context"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/alerts"
	"github.com/orderhub/orderhub/allocator"
	"github.com/orderhub/orderhub/routing"
	"github.com/orderhub/orderhub/store"
)

var templateFuncs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	// whenSec is when, to the second: the order of a timeline's events
	// often turns on seconds.
	"whenSec": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"whenp": func(t *time.Time) string {
		if t == nil {
			return "—"
		}
		return t.UTC().Format("2006-01-02")
	},
	"money": func(m orderhub.Money) string { return m.Display() },
	"statusClass": func(s any) string {
		return "st-" + strings.ReplaceAll(fmt.Sprint(s), "_", "-")
	},
	"human": func(s any) string { return strings.ReplaceAll(fmt.Sprint(s), "_", " ") },
	"pct":   func(v float64) string { return strconv.FormatFloat(v*100, 'f', 1, 64) + "%" },
	"km":    func(v float64) string { return routing.FormatKm(v) },
	"add":   func(a, b int) int { return a + b },
	"add0":  func(a, b float64) float64 { return a + b },
	"kindLabel": func(k string) string {
		switch k {
		case orderhub.SourceWarehouse:
			return "own warehouse"
		case orderhub.Source3PL:
			return "3PL"
		case orderhub.SourceSupplier:
			return "dropship supplier"
		}
		return k
	},
}

// ago renders how long ago t was, as a person says it.
func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}

// --- orders -----------------------------------------------------------

type orderRow struct {
	OrderSummary
	Units   int64
	Updated string
	Name    string
}

type ordersView struct {
	Query     ordersQuery
	Search    string
	Shops     []string
	Statuses  []orderhub.Status
	Rows      []orderRow
	Next      string
	NextURL   string
	Searched  bool
	StuckOnly bool
}

func (ordersView) liveKey() string { return "list" }

func (s *Server) visibleShops(ctx context.Context) []string {
	sc := ScopeFrom(ctx)
	if !sc.all {
		return sc.shops
	}
	out := append([]string(nil), s.Shops...)
	sort.Strings(out)
	return out
}

func (s *Server) rows(orders []orderhub.Order) []orderRow {
	now := s.now()
	out := make([]orderRow, 0, len(orders))
	for _, sum := range s.summaries(orders) {
		r := orderRow{OrderSummary: sum, Updated: ago(now, sum.UpdatedAt)}
		for _, l := range sum.Lines {
			r.Units += l.OpenQuantity()
		}
		r.Name = strings.TrimSpace(sum.Customer.FirstName + " " + sum.Customer.LastName)
		if r.Name == "" {
			r.Name = sum.ShippingAddr.Name
		}
		out = append(out, r)
	}
	return out
}

// searchOrders finds orders by the platform's id, the number the merchant
// sees (with or without #) or orderhub's id, newest first, looking through
// at most the newest few thousand orders for a number.
func (s *Server) searchOrders(ctx context.Context, oq ordersQuery, q string) ([]orderhub.Order, error) {
	q = strings.TrimSpace(q)
	byExt := oq
	byExt.ExternalID = strings.TrimPrefix(q, "#")
	page, err := s.Store.ListOrders(ctx, s.listParams(ctx, byExt))
	if err != nil || len(page.Orders) > 0 {
		return page.Orders, err
	}
	if o, err := OrderInScope(ctx, s.Store, q); err == nil {
		return []orderhub.Order{o}, nil
	}
	want := strings.ToLower(strings.TrimPrefix(q, "#"))
	scan := oq
	scan.Limit = 500
	var out []orderhub.Order
	for i := 0; i < 8 && len(out) < 50; i++ {
		page, err := s.Store.ListOrders(ctx, s.listParams(ctx, scan))
		if err != nil {
			return nil, err
		}
		for _, o := range page.Orders {
			if strings.ToLower(strings.TrimPrefix(o.ExternalNumber, "#")) == want {
				out = append(out, o)
			}
		}
		if page.Next == "" {
			break
		}
		scan.After = page.Next
	}
	return out, nil
}

func (s *Server) ordersPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	oq, err := parseOrdersQuery(q)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if oq.Limit == 0 {
		oq.Limit = 50
	}
	v := ordersView{Query: oq, Search: q.Get("q"), Shops: s.visibleShops(r.Context()), Statuses: orderhub.Statuses, StuckOnly: oq.Stuck}
	if v.Search != "" {
		orders, err := s.searchOrders(r.Context(), oq, v.Search)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		v.Rows, v.Searched = s.rows(orders), true
	} else {
		page, err := s.Store.ListOrders(r.Context(), s.listParams(r.Context(), oq))
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		v.Rows, v.Next = s.rows(page.Orders), page.Next
		if page.Next != "" {
			nq := url.Values{}
			for k, vs := range q {
				nq[k] = vs
			}
			nq.Set("after", page.Next)
			v.NextURL = UIPrefix + "/orders?" + nq.Encode()
		}
	}
	s.render(w, r, http.StatusOK, "orders", "Orders", "orders", v)
}

func (s *Server) stuckPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	page, err := s.Store.ListOrders(ctx, s.listParams(ctx, ordersQuery{Stuck: true, After: r.URL.Query().Get("after"), Limit: 100}))
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	v := stuckView{Rows: s.rows(page.Orders), StuckAfter: humanDuration(s.stuckAfter()), Alerts: map[string]store.Alert{}}
	if page.Next != "" {
		v.NextURL = UIPrefix + "/stuck?after=" + url.QueryEscape(page.Next)
	}
	for _, row := range v.Rows {
		if a, err := s.Store.GetAlert(ctx, row.ID, alerts.KindStuck); err == nil {
			v.Alerts[row.ID] = a
		}
	}
	now := s.now()
	for i := range v.Rows {
		v.Rows[i].Updated = waitedFor(now.Sub(v.Rows[i].StatusChanged))
	}
	s.render(w, r, http.StatusOK, "stuck", "Stuck orders", "stuck", v)
}

type stuckView struct {
	Rows       []orderRow
	StuckAfter string
	Alerts     map[string]store.Alert
	NextURL    string
}

func (stuckView) liveKey() string { return "list" }

// humanDuration renders a threshold as a person says it: "24 hours".
func humanDuration(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0 && d >= 48*time.Hour:
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	case d%time.Hour == 0:
		if d == time.Hour {
			return "1 hour"
		}
		return fmt.Sprintf("%d hours", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%d minutes", d/time.Minute)
	}
	return d.String()
}

func waitedFor(d time.Duration) string {
	h := int(d.Hours())
	if h < 48 {
		return fmt.Sprintf("%d h", h)
	}
	return fmt.Sprintf("%d d %d h", h/24, h%24)
}

// --- one order ----------------------------------------------------------

type lineView struct {
	orderhub.Line
	Sources []string
	Total   string
}

type timelineEntry struct {
	orderhub.OrderEvent
	Ago string
}

type orderView struct {
	OrderDetail
	Lines        []lineView
	Timeline     []timelineEntry
	Explanations []orderhub.Explanation
	Updated      string
	Alert        *store.Alert
}

func (v orderView) liveKey() string { return "order:" + v.ID }

func (s *Server) orderPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	d, err := s.orderDetail(ctx, chi.URLParam(r, "id"))
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	now := s.now()
	v := orderView{OrderDetail: d, Explanations: d.Explanations, Updated: ago(now, d.UpdatedAt)}
	sources := map[string][]string{}
	for _, f := range d.Fulfillments {
		for _, l := range f.Lines {
			sources[l.LineID] = append(sources[l.LineID], fmt.Sprintf("%s ×%d (%s)", f.SourceID, l.Quantity, f.Status))
		}
	}
	for _, b := range d.Backorders {
		if b.Status.Open() {
			sources[b.LineID] = append(sources[b.LineID], fmt.Sprintf("backordered ×%d", b.Remaining()))
		}
	}
	for _, l := range d.Order.Lines {
		lv := lineView{Line: l, Sources: sources[l.ID]}
		if t, err := l.Total(d.TaxesIncluded); err == nil {
			lv.Total = t.Display()
		}
		if len(lv.Sources) == 0 && !l.RequiresShp {
			lv.Sources = []string{"no shipping needed"}
		}
		v.Lines = append(v.Lines, lv)
	}
	for _, e := range d.Events {
		v.Timeline = append(v.Timeline, timelineEntry{OrderEvent: e, Ago: ago(now, e.OccurredAt)})
	}
	if a, err := s.Store.GetAlert(ctx, d.ID, alerts.KindStuck); err == nil {
		v.Alert = &a
	}
	title := d.ExternalNumber
	if title == "" {
		title = d.ExternalID
	}
	s.render(w, r, http.StatusOK, "order", "Order "+title, "orders", v)
}

func (s *Server) notePost(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := chi.URLParam(r, "id")
	o, err := OrderInScope(ctx, s.Store, id)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	note := strings.TrimSpace(formValue(r, "note"))
	// The actor is the session's token, never a name typed into the form.
	actor := ScopeFrom(ctx).Actor()
	if note == "" {
		setFlash(w, r, "Write a note first.")
	} else if _, err := s.Store.AddEvent(ctx, orderhub.OrderEvent{OrderID: id, Kind: orderhub.EventNote, Actor: actor, Note: note}); err != nil {
		s.renderError(w, r, err)
		return
	} else {
		s.orderChanged(ctx, o, "note added")
		setFlash(w, r, "Note added to the timeline.")
	}
	http.Redirect(w, r, UIPrefix+"/orders/"+url.PathEscape(id)+"#timeline", http.StatusSeeOther)
}

// --- inventory ------------------------------------------------------------

type locationStock struct {
	orderhub.Location
	Levels []stockAnswer
}

type inventoryView struct {
	SKU       string
	NextURL   string
	Locations []locationStock
	AllIDs    []string
	SKUs      []string
}

func (inventoryView) liveKey() string { return "list" }

func (s *Server) inventoryPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := inventoryView{SKU: strings.TrimSpace(r.URL.Query().Get("sku"))}
	if !ScopeFrom(ctx).all {
		s.render(w, r, http.StatusOK, "inventory", "Inventory", "inventory", v)
		return
	}
	p := store.ListStockParams{}
	if v.SKU != "" {
		p.SKUs = strings.Split(v.SKU, ",")
	}
	levels, next, err := s.stockPage(ctx, p, r.URL.Query().Get("after"), 500)
	if next != "" {
		v.NextURL = UIPrefix + "/inventory?sku=" + url.QueryEscape(v.SKU) + "&after=" + url.QueryEscape(next)
	}
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	byLoc := map[string][]stockAnswer{}
	skus := map[string]bool{}
	for _, l := range levels {
		byLoc[l.LocationID] = append(byLoc[l.LocationID], l)
		skus[l.SKU] = true
	}
	for _, loc := range s.locationList() {
		v.Locations = append(v.Locations, locationStock{Location: loc, Levels: byLoc[loc.ID]})
		v.AllIDs = append(v.AllIDs, loc.ID)
	}
	for k := range skus {
		v.SKUs = append(v.SKUs, k)
	}
	sort.Strings(v.SKUs)
	s.render(w, r, http.StatusOK, "inventory", "Inventory", "inventory", v)
}

func (s *Server) inventoryPost(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	loc := strings.TrimSpace(formValue(r, "location"))
	sku := strings.TrimSpace(formValue(r, "sku"))
	mode := formValue(r, "mode")
	reason := strings.TrimSpace(formValue(r, "reason"))
	n, perr := strconv.ParseInt(strings.TrimSpace(formValue(r, "quantity")), 10, 64)
	back := UIPrefix + "/inventory"
	if sku == "" || perr != nil {
		setFlash(w, r, "Give a SKU and a whole number.")
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	var (
		l     orderhub.StockLevel
		fills []allocator.Fill
		err   error
	)
	if mode == "set" {
		l, fills, err = s.SetInventory(ctx, store.SetStockParams{LocationID: loc, SKU: sku, OnHand: n, Reason: reason, Actor: ScopeFrom(ctx).Actor()})
	} else {
		l, fills, err = s.AdjustInventory(ctx, store.AdjustStockParams{LocationID: loc, SKU: sku, Delta: n, Reason: reason, Actor: ScopeFrom(ctx).Actor()})
	}
	switch orderhub.ErrorCode(err) {
	case "":
		msg := fmt.Sprintf("%s at %s: %d on hand, %d reserved.", sku, loc, l.OnHand, l.Reserved)
		if len(fills) > 0 {
			msg += fmt.Sprintf(" Filled %d backorder(s).", len(fills))
		}
		setFlash(w, r, msg)
	case orderhub.EInvalid, orderhub.EConflict:
		setFlash(w, r, "Not changed: "+orderhub.ErrorMessage(err))
	default:
		s.renderError(w, r, err)
		return
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// --- backorders -----------------------------------------------------------

type backorderRow struct {
	orderhub.Backorder
	Waited string
	Number string // the order's number as the merchant knows it
}

type backordersView struct {
	Status  string
	Tabs    []string
	Rows    []backorderRow
	NextURL string
}

func (backordersView) liveKey() string { return "list" }

func (s *Server) backordersPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	v := backordersView{Status: q.Get("status"), Tabs: []string{"pending", "waiting", "filled", "cancelled", "all"}}
	if v.Status == "" {
		v.Status = "pending"
	}
	p := store.ListBackordersParams{ShopIDs: ScopeFrom(ctx).ShopIDs(), After: q.Get("after"), Limit: 100, SKU: q.Get("sku")}
	switch v.Status {
	case "all":
	case "pending", "waiting", "filled", "cancelled":
		p.Status = orderhub.BackorderStatus(v.Status)
	default:
		s.renderError(w, r, orderhub.Errorf(orderhub.EInvalid, "status: %q is not one of pending, waiting, filled, cancelled, all", v.Status))
		return
	}
	page, err := s.Store.ListBackorders(ctx, p)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	now := s.now()
	numbers := map[string]string{}
	for _, b := range page.Backorders {
		if _, ok := numbers[b.OrderID]; !ok {
			if o, err := s.Store.GetOrder(ctx, b.OrderID); err == nil {
				numbers[b.OrderID] = o.ExternalNumber
			}
		}
		v.Rows = append(v.Rows, backorderRow{Backorder: b, Waited: ago(now, b.PaidAt), Number: numbers[b.OrderID]})
	}
	if page.Next != "" {
		v.NextURL = UIPrefix + "/backorders?status=" + url.QueryEscape(v.Status) + "&after=" + url.QueryEscape(page.Next)
	}
	s.render(w, r, http.StatusOK, "backorders", "Backorders", "backorders", v)
}

func (s *Server) decisionPost(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	d := allocator.Decision(formValue(r, "decision"))
	b, refund, err := s.DecideBackorder(r.Context(), id, d, ScopeFrom(r.Context()).Actor())
	switch orderhub.ErrorCode(err) {
	case "":
		msg := fmt.Sprintf("Backorder of %d × %s: the customer waits.", b.Remaining(), b.SKU)
		if refund != nil {
			msg = fmt.Sprintf("Backorder of %s cancelled; refund %s.", b.SKU, refund.Amount.Display())
		}
		setFlash(w, r, msg)
	case orderhub.EInvalid, orderhub.EConflict:
		setFlash(w, r, "Not changed: "+orderhub.ErrorMessage(err))
	default:
		s.renderError(w, r, err)
		return
	}
	back := formValue(r, "back")
	if !strings.HasPrefix(back, UIPrefix+"/") || strings.HasPrefix(back, "//") {
		back = UIPrefix + "/backorders"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// --- dead letters -----------------------------------------------------------

type deadLettersView struct {
	Source  string
	Rows    []DeadLetter
	NextURL string
	HasJobs bool
}

func (deadLettersView) liveKey() string { return "list" }

func (s *Server) deadLettersPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := deadLettersView{Source: q.Get("source"), HasJobs: s.Jobs != nil}
	list, next, err := s.DeadLetters(r.Context(), deadLetterQuery{Source: v.Source, After: q.Get("after"), Limit: 50})
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	v.Rows = list
	if next != "" {
		v.NextURL = UIPrefix + "/dead-letters?source=" + url.QueryEscape(v.Source) + "&after=" + url.QueryEscape(next)
	}
	s.render(w, r, http.StatusOK, "deadletters", "Dead letters", "dead-letters", v)
}

func (s *Server) replayPost(w http.ResponseWriter, r *http.Request) {
	d, err := s.ReplayDeadLetter(r.Context(), chi.URLParam(r, "id"))
	switch orderhub.ErrorCode(err) {
	case "":
		setFlash(w, r, fmt.Sprintf("Replayed %s (%s).", d.ID, d.Kind))
	case orderhub.EConflict:
		setFlash(w, r, "Not replayed: "+orderhub.ErrorMessage(err))
	default:
		s.renderError(w, r, err)
		return
	}
	http.Redirect(w, r, UIPrefix+"/dead-letters", http.StatusSeeOther)
}

// --- routing ------------------------------------------------------------------

type ruleInfo struct {
	Name, Help string
}

var ruleHelp = map[routing.Rule]string{
	routing.RuleMinimizeSplits:   "prefer one location that ships the whole order, then the fewest locations",
	routing.RuleClosest:          "prefer the location nearest the customer",
	routing.RulePriority:         "prefer the location with the lower priority number",
	routing.RuleStayInMarket:     "prefer locations in the customer's country",
	routing.RuleCheapestDropship: "order dropship suppliers by cost, then lead time",
}

type chartBar struct {
	Label          string
	Current        string
	Proposed       string
	CurH, PropH    float64
	CurY, PropY    float64
	X              float64
	CurTY, PropTY  float64
	CurTX, PropTX  float64
	LabelX, LabelY float64
}

type routingView struct {
	Current    RulesView
	Rules      []ruleInfo
	All        []ruleInfo
	Locations  []orderhub.Location
	Suppliers  []orderhub.Supplier
	Form       SimulateRequest
	FormRules  string
	FormSplit  bool
	FormDrop   bool
	FormPolicy string
	Sim        *Simulation
	Chart      []chartBar
	Error      string
}

func (s *Server) routingPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := routingView{Current: rulesView(s.Rules), Locations: s.locationList(), Suppliers: s.Suppliers}
	for _, x := range s.Rules.Order {
		v.Rules = append(v.Rules, ruleInfo{string(x), ruleHelp[x]})
	}
	for _, x := range routing.AllRules() {
		v.All = append(v.All, ruleInfo{string(x), ruleHelp[x]})
	}
	v.FormRules = strings.Join(v.Current.Rules, ", ")
	v.FormSplit, v.FormDrop, v.FormPolicy = v.Current.AllowLineSplit, v.Current.Dropship, v.Current.Backorders
	if q.Get("simulate") != "" {
		req := SimulateRequest{Rules: []string{}, Backorders: q.Get("backorders")}
		v.FormRules = q.Get("rules")
		for _, p := range strings.Split(v.FormRules, ",") {
			if p = strings.TrimSpace(p); p != "" {
				req.Rules = append(req.Rules, p)
			}
		}
		split, drop := q.Get("allow_line_split") != "", q.Get("dropship") != ""
		req.AllowLineSplit, req.Dropship = &split, &drop
		v.FormSplit, v.FormDrop = split, drop
		if req.Backorders != "" {
			v.FormPolicy = req.Backorders
		}
		if l := q.Get("limit"); l != "" {
			req.Limit, _ = strconv.Atoi(l)
		}
		req.Limit = store.ListLimit(req.Limit)
		v.Form = req
		sim, err := s.Simulate(r.Context(), req)
		switch orderhub.ErrorCode(err) {
		case "":
			v.Sim = &sim
			v.Chart = simulationChart(sim)
		case orderhub.EInvalid, orderhub.ENotFound:
			v.Error = orderhub.ErrorMessage(err)
		default:
			s.renderError(w, r, err)
			return
		}
	}
	if v.Form.Limit == 0 {
		v.Form.Limit = 50
	}
	s.render(w, r, http.StatusOK, "routing", "Routing", "routing", v)
}

// simulationChart lays out the bars of the simulation chart: one pair of
// bars (stored, proposed) per measure, each pair scaled to its larger bar.
func simulationChart(sim Simulation) []chartBar {
	type measure struct {
		label    string
		cur, pro float64
		format   func(float64) string
	}
	pct := func(v float64) string { return strconv.FormatFloat(v*100, 'f', 0, 64) + "%" }
	ms := []measure{
		{"split rate", sim.Current.SplitRate, sim.Proposed.SplitRate, pct},
		{"mean distance", sim.Current.MeanDistanceKm, sim.Proposed.MeanDistanceKm, func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) + " km" }},
		{"dropship", sim.Current.DropshipShare, sim.Proposed.DropshipShare, pct},
		{"backorder", sim.Current.BackorderShare, sim.Proposed.BackorderShare, pct},
	}
	const (
		groupW = 150.0
		barW   = 44.0
		plotH  = 150.0
		top    = 24.0
	)
	out := make([]chartBar, 0, len(ms))
	for i, m := range ms {
		scale := math.Max(m.cur, m.pro)
		h := func(v float64) float64 {
			if scale <= 0 {
				return 1
			}
			return math.Max(1, v/scale*plotH)
		}
		x := 16 + float64(i)*groupW
		b := chartBar{Label: m.label, Current: m.format(m.cur), Proposed: m.format(m.pro), X: x,
			CurH: h(m.cur), PropH: h(m.pro), LabelX: x + barW + 2, LabelY: top + plotH + 20}
		b.CurY, b.PropY = top+plotH-b.CurH, top+plotH-b.PropH
		b.CurTY, b.PropTY = b.CurY-6, b.PropY-6
		b.CurTX, b.PropTX = x+barW/2, x+barW+4+barW/2
		out = append(out, b)
	}
	return out
}
