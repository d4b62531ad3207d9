package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/orderhub/orderhub/config"
	"github.com/orderhub/orderhub/examples"
)

// demoConfig loads the embedded examples/orderhub.yaml with the values of
// examples/demo.env, on a SQLite file in dir and a free loopback port.
func demoConfig(dir string) (config.Config, error) {
	env, err := examples.Files.ReadFile("demo.env")
	if err != nil {
		return config.Config{}, err
	}
	vars, err := config.ParseEnvFile(env)
	if err != nil {
		return config.Config{}, fmt.Errorf("examples/demo.env: %w", err)
	}
	data, err := examples.Files.ReadFile("orderhub.yaml")
	if err != nil {
		return config.Config{}, err
	}
	cfg, err := config.Parse(data, config.MapEnv(vars))
	if err != nil {
		return config.Config{}, fmt.Errorf("examples/orderhub.yaml: %w", err)
	}
	cfg.Database = "sqlite://" + filepath.Join(dir, "orderhub.db")
	cfg.Listen = "127.0.0.1:0"
	return cfg, cfg.Validate()
}

// cmdDemo runs orderhub end to end with no setup: the real server on a
// temporary SQLite database, driven over real HTTP on loopback.
func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keep := fs.Bool("keep", false, "keep the temporary database folder and print its path")
	verbose := fs.Bool("v", false, "print the server's logs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "orderhub-demo-")
	if err != nil {
		return err
	}
	if !*keep {
		defer os.RemoveAll(dir)
	}
	cfg, err := demoConfig(dir)
	if err != nil {
		return err
	}
	logOut := io.Discard
	if *verbose {
		logOut = stderr
	}
	logger, _ := newLogger(logOut, "info")

	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	app, err := NewApp(ctx, cfg, AppOptions{Logger: logger})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		app.store.Close()
		return err
	}
	base := "http://" + ln.Addr().String()
	srvCtx, stopServer := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- app.Serve(srvCtx, ln) }()

	fmt.Fprintf(stdout, "orderhub demo: server on %s, embedded SQLite at %s\n", base, filepath.Join(dir, "orderhub.db"))
	fmt.Fprintf(stdout, "config: %d shops, %d locations, %d suppliers, routing rules %v\n",
		len(cfg.Shops), len(cfg.Locations), len(cfg.Suppliers), cfg.Routing.Rules)

	client := &http.Client{Timeout: 10 * time.Second}
	for _, path := range []string{"/healthz", "/readyz"} {
		body, err := getJSON(ctx, client, base+path)
		if err != nil {
			stopServer()
			<-done
			return err
		}
		fmt.Fprintf(stdout, "GET %s → %s\n", path, body)
	}

	stopServer()
	if err := <-done; err != nil {
		return fmt.Errorf("server: %w", err)
	}
	if *keep {
		fmt.Fprintf(stdout, "kept %s\n", dir)
	}
	fmt.Fprintln(stdout, "demo finished")
	return nil
}

func getJSON(ctx context.Context, c *http.Client, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s: %s", url, resp.Status, b)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return "", fmt.Errorf("GET %s: answer is not JSON: %w", url, err)
	}
	compact, _ := json.Marshal(v)
	return string(compact), nil
}
