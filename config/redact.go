package config

import (
	"log/slog"
	"maps"
	"net/url"
	"strings"

	"github.com/goccy/go-yaml"
)

// RedactedMark replaces every secret in Redacted output.
const RedactedMark = "[redacted]"

func redact(s string) string {
	if s == "" {
		return ""
	}
	return RedactedMark
}

// redactURL hides the password of a URL such as postgres://u:p@h/db.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, has := u.User.Password(); !has {
		return s
	}
	return u.Redacted()
}

// redactHookURL hides all but the scheme and host of a webhook URL:
// Slack-style URLs carry their secret in the path.
func redactHookURL(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return RedactedMark
	}
	if u.Path == "" && u.RawQuery == "" && u.User == nil {
		return s
	}
	return u.Scheme + "://" + u.Host + "/" + RedactedMark
}

// Redacted returns a deep copy of the shop with its credentials replaced
// by RedactedMark.
func (s Shop) Redacted() Shop {
	s.AccessToken = redact(s.AccessToken)
	s.WebhookSecret = redact(s.WebhookSecret)
	s.PreviousWebhookSecret = redact(s.PreviousWebhookSecret)
	s.ConsumerKey = redact(s.ConsumerKey)
	s.ConsumerSecret = redact(s.ConsumerSecret)
	s.ClientSecret = redact(s.ClientSecret)
	if s.WebhookAuthHeader != nil {
		h := *s.WebhookAuthHeader
		h.Value = redact(h.Value)
		s.WebhookAuthHeader = &h
	}
	return s
}

// LogValue lets slog print a shop by what identifies it, never its
// credentials.
func (s Shop) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("id", s.ID),
		slog.String("platform", s.Platform),
		slog.String("domain", s.Domain),
		slog.String("api_base_url", s.APIBaseURL),
	)
}

// Redacted returns a copy of the provider with its credentials replaced by
// RedactedMark.
func (p Provider) Redacted() Provider {
	p.Token = redact(p.Token)
	p.APIKey = redact(p.APIKey)
	p.WebhookSecret = redact(p.WebhookSecret)
	return p
}

// LogValue lets slog print a provider by what identifies it, never its
// credentials.
func (p Provider) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("id", p.ID),
		slog.String("kind", p.Kind),
		slog.String("api_base_url", p.APIBaseURL),
	)
}

// Redacted returns a deep copy of c with every secret replaced by
// RedactedMark: tokens, keys, webhook secrets, the SMTP password, the
// password in database and Redis URLs, and the path of outgoing webhook
// URLs. The copy shares nothing with c.
func (c Config) Redacted() Config {
	out := c
	out.emptyRefs = nil
	out.Database = redactURL(c.Database)
	out.Redis = redactURL(c.Redis)
	out.Admin.TrustedProxies = append([]string(nil), c.Admin.TrustedProxies...)
	out.Admin.Tokens = make([]AdminToken, len(c.Admin.Tokens))
	for i, t := range c.Admin.Tokens {
		out.Admin.Tokens[i] = AdminToken{Name: t.Name, Token: redact(t.Token), Shops: append([]string(nil), t.Shops...)}
	}
	out.Shops = make([]Shop, len(c.Shops))
	for i, s := range c.Shops {
		out.Shops[i] = s.Redacted()
	}
	out.Providers = make([]Provider, len(c.Providers))
	for i, p := range c.Providers {
		out.Providers[i] = p.Redacted()
	}
	out.Locations = make([]Location, len(c.Locations))
	for i, l := range c.Locations {
		l.Address.Lat = copyFloat(l.Address.Lat)
		l.Address.Lon = copyFloat(l.Address.Lon)
		out.Locations[i] = l
	}
	out.Suppliers = make([]Supplier, len(c.Suppliers))
	for i, s := range c.Suppliers {
		s.SKUs = maps.Clone(s.SKUs)
		s.Delivery.WebhookURL = redactHookURL(s.Delivery.WebhookURL)
		s.Delivery.Secret = redact(s.Delivery.Secret)
		out.Suppliers[i] = s
	}
	out.Notifications.SMTP.Password = redact(c.Notifications.SMTP.Password)
	out.Notifications.WebhookURL = redactHookURL(c.Notifications.WebhookURL)
	out.Routing.Rules = append([]string(nil), c.Routing.Rules...)
	out.Alerts.WebhookURL = redactHookURL(c.Alerts.WebhookURL)
	out.Metrics.Token = redact(c.Metrics.Token)
	return out
}

// String renders the redacted configuration as YAML, so that printing or
// logging a Config never shows a secret.
func (c Config) String() string {
	b, err := yaml.Marshal(c.Redacted())
	if err != nil {
		return "config: " + err.Error()
	}
	return strings.TrimRight(string(b), "\n")
}

// LogValue makes slog, with any handler, log the redacted form.
func (c Config) LogValue() slog.Value {
	return slog.StringValue(c.String())
}
