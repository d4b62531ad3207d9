package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDescribeBuild(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"}}}
	require.Equal(t, "(devel) rev 0123456789ab-dirty go1.26.8", describeBuild("", bi))
	require.Equal(t, "v1.4.0 rev 0123456789ab-dirty go1.26.8", describeBuild("v1.4.0", bi))
	bi.Settings = nil
	bi.Main.Version = "v1.3.2"
	require.Equal(t, "v1.3.2 go1.26.8", describeBuild("", bi), "go install module@version stamps the module version")
}

// TestVersionOfACheckoutBuild builds the binary as the README says and
// checks that it names the checkout's revision.
func TestVersionOfACheckoutBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI runs in a git checkout: %v", err)
		}
		t.Skipf("not a git checkout (%v): nothing to stamp", err)
	}
	bin := filepath.Join(t.TempDir(), "orderhub")
	build := exec.Command("go", "build", "-buildvcs=true", "-ldflags", "-X main.version=v0.0.0-test", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))
	got, err := exec.Command(bin, "version").Output()
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(got), "orderhub v0.0.0-test rev "+strings.TrimSpace(string(head))[:12]), string(got))
}
