package sqlcore

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestRiverRoutineLinesGoToDebug(t *testing.T) {
	var buf bytes.Buffer
	l := RiverLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})))
	l.Info("producer: Producer job counts", "queue", "default")
	if buf.Len() != 0 {
		t.Fatalf("a routine River line reached the Info log: %s", buf.String())
	}
	l.Warn("jobs rescued")
	l.Error("job failed")
	out := buf.String()
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "level=ERROR") || !strings.Contains(out, "component=river") {
		t.Fatalf("River's warnings and errors keep their level and say where they come from: %s", out)
	}

	buf.Reset()
	debug := RiverLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	debug.Info("producer: Producer job counts")
	if !strings.Contains(buf.String(), "level=DEBUG") {
		t.Fatalf("at --log-level debug the routine lines show, as debug: %s", buf.String())
	}
}
