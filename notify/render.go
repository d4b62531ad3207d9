package notify

import (
	"bytes"
	"embed"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/allocator"
	"github.com/orderhub/orderhub/store"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

var (
	textTemplates = texttemplate.Must(texttemplate.ParseFS(templateFS, "templates/*.txt.tmpl"))
	htmlTemplates = htmltemplate.Must(htmltemplate.ParseFS(templateFS, "templates/*.html.tmpl"))
)

// view is what the notice templates see.
type view struct {
	FirstName      string
	OrderNumber    string
	Items          []viewItem // backordered, with their links
	HasLinks       bool
	LinksUntil     string // the day the links expire
	Shipped        []Item
	ToCome         []Item
	Complete       bool // nothing is left to come
	Carrier        string
	TrackingNumber string
	TrackingURL    string
}

type viewItem struct {
	Item
	WaitURL   string
	CancelURL string
}

// Render turns an outbox notice of an order into a message. links may be
// nil, and then a backorder notice has no wait/cancel links.
func Render(n store.Notice, o orderhub.Order, links *Links) (Message, error) {
	p, err := decodePayload(n)
	if err != nil {
		return Message{}, err
	}
	name := strings.TrimSpace(o.Customer.FirstName)
	if name == "" {
		name = "there"
	}
	v := view{FirstName: name, OrderNumber: orderLabel(o), Shipped: p.Shipped, ToCome: p.ToCome, Complete: len(p.ToCome) == 0,
		Carrier: p.Carrier, TrackingNumber: p.TrackingNumber, TrackingURL: p.TrackingURL}
	m := Message{Kind: n.Kind, IdempotencyKey: n.Key, NoticeID: n.ID, ShopID: o.ShopID, OrderID: o.ID, OrderNumber: v.OrderNumber,
		Customer: o.Customer, Payload: p}
	for _, it := range p.Backordered {
		vi := viewItem{Item: it}
		if links != nil && it.BackorderID != "" {
			vi.WaitURL = links.BackorderURL(it.BackorderID, allocator.DecisionWait)
			vi.CancelURL = links.BackorderURL(it.BackorderID, allocator.DecisionCancel)
			v.HasLinks = true
			v.LinksUntil = links.Expiry().Format("2 January 2006")
			if m.Links == nil {
				m.Links = map[string]map[string]string{}
			}
			m.Links[it.BackorderID] = map[string]string{"wait": vi.WaitURL, "cancel": vi.CancelURL}
		}
		v.Items = append(v.Items, vi)
	}
	var subject, text, html bytes.Buffer
	page := n.Kind + ".txt.tmpl"
	if err := textTemplates.ExecuteTemplate(&text, page, v); err != nil {
		return Message{}, orderhub.WrapError(orderhub.EInternal, err, "render %s notice", n.Kind)
	}
	if err := textTemplates.ExecuteTemplate(&subject, n.Kind+".subject", v); err != nil {
		return Message{}, orderhub.WrapError(orderhub.EInternal, err, "render %s notice subject", n.Kind)
	}
	if err := htmlTemplates.ExecuteTemplate(&html, n.Kind+".html.tmpl", v); err != nil {
		return Message{}, orderhub.WrapError(orderhub.EInternal, err, "render %s notice", n.Kind)
	}
	m.Subject = strings.TrimSpace(subject.String())
	m.Text = strings.TrimSpace(text.String()) + "\n"
	m.HTML = html.String()
	return m, nil
}
