package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/wneessen/go-mail"

	"github.com/orderhub/orderhub"
)

// MailSender sends notices by SMTP through github.com/wneessen/go-mail, one
// connection per message. STARTTLS is required, except on port 465
// (implicit TLS) and to a relay on loopback, where plain SMTP is allowed.
type MailSender struct {
	Host     string
	Port     int // 587 when 0
	Username string
	Password string
	From     string
	Timeout  time.Duration // 30 s when 0
}

var _ Sender = MailSender{}

// Channel implements Sender.
func (s MailSender) Channel() string { return "mail" }

// MessageID is the notice's stable Message-ID, so a repeated delivery can
// be recognised by the receiving side.
func MessageID(m Message, from string) string {
	sum := sha256.Sum256([]byte(m.IdempotencyKey))
	domain := "orderhub.invalid"
	if _, d, ok := strings.Cut(from, "@"); ok && d != "" {
		domain = strings.Trim(d, "<> ")
	}
	return hex.EncodeToString(sum[:16]) + "@" + domain
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Send implements Sender. A message without a customer email is an
// Invalid error.
func (s MailSender) Send(ctx context.Context, m Message) error {
	if strings.TrimSpace(m.Customer.Email) == "" {
		return orderhub.Errorf(orderhub.EInvalid, "order %s has no customer email", m.OrderNumber)
	}
	msg := mail.NewMsg()
	if err := msg.From(s.From); err != nil {
		return orderhub.WrapError(orderhub.EInvalid, err, "notifications.smtp.from: %q is not an address", s.From)
	}
	to := m.Customer.Email
	if name := strings.TrimSpace(m.Customer.FirstName + " " + m.Customer.LastName); name != "" {
		to = fmt.Sprintf("%q <%s>", name, m.Customer.Email)
	}
	if err := msg.To(to); err != nil {
		if err := msg.To(m.Customer.Email); err != nil {
			return orderhub.WrapError(orderhub.EInvalid, err, "customer email %q is not an address", m.Customer.Email)
		}
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(MessageID(m, s.From))
	msg.SetDate()
	msg.SetGenHeader("X-Orderhub-Notice", m.IdempotencyKey)
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	}
	port := s.Port
	if port == 0 {
		port = 587
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	opts := []mail.Option{mail.WithPort(port), mail.WithTimeout(timeout)}
	switch {
	case port == 465:
		opts = append(opts, mail.WithSSL())
	case loopback(s.Host):
		opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if s.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(s.Username), mail.WithPassword(s.Password))
	}
	c, err := mail.NewClient(s.Host, opts...)
	if err != nil {
		return orderhub.WrapError(orderhub.EInvalid, err, "notifications.smtp: cannot set up the mail client")
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return orderhub.WrapError(orderhub.EUnavailable, scrubPassword(err, s.Password), "send notice mail via %s:%d", s.Host, port)
	}
	return nil
}

type scrubbed struct{ msg string }

func (e scrubbed) Error() string { return e.msg }

func scrubPassword(err error, password string) error {
	if password == "" || !strings.Contains(err.Error(), password) {
		return err
	}
	return scrubbed{strings.ReplaceAll(err.Error(), password, "[redacted]")}
}
