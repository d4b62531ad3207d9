package sqlcore

import (
	"context"
	"log/slog"
)

// RiverLogger is the logger the stores give River. River reports its
// routine work at Info (every producer's job counts every few seconds,
// elections, its start and stop), which would drown orderhub's own lines;
// those go to Debug. River's warnings and errors keep their level.
func RiverLogger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return nil
	}
	return slog.New(riverHandler{l.Handler()}).With("component", "river")
}

type riverHandler struct{ next slog.Handler }

func (h riverHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, demote(level))
}

func (h riverHandler) Handle(ctx context.Context, r slog.Record) error {
	r.Level = demote(r.Level)
	return h.next.Handle(ctx, r)
}

func (h riverHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return riverHandler{h.next.WithAttrs(as)}
}

func (h riverHandler) WithGroup(name string) slog.Handler {
	return riverHandler{h.next.WithGroup(name)}
}

func demote(l slog.Level) slog.Level {
	if l < slog.LevelWarn {
		return slog.LevelDebug
	}
	return l
}
