package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/syndicate/syndicate/config"
)

// cmdHealthcheck GETs the local /healthz and exits 0 on 200, 1 otherwise
// (a config that cannot be read included: the container is not healthy).
// It exists so a container's HEALTHCHECK needs no shell or curl.
func cmdHealthcheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := newFlags("healthcheck", stderr)
	configPath := flags.String("config", "config.yaml", "config `file` whose server.listen gives the address")
	rawURL := flags.String("url", "", "`URL` to check (default http://127.0.0.1:PORT/healthz from server.listen)")
	timeout := flags.Duration("timeout", 5*time.Second, "give up after this `duration`")
	if err := parseFlags(flags, args); err != nil {
		return err
	}
	target := *rawURL
	if target == "" {
		listen := config.Default().Server.Listen
		configGiven := false
		flags.Visit(func(f *flag.Flag) { configGiven = configGiven || f.Name == "config" })
		if _, err := os.Stat(*configPath); configGiven || !errors.Is(err, fs.ErrNotExist) {
			cfg, err := loadConfig(*configPath)
			if err != nil {
				return err
			}
			listen = cfg.Server.Listen
		}
		u, err := healthURL(listen)
		if err != nil {
			return fmt.Errorf("healthcheck: %w (use --url)", err)
		}
		target = u
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return &usageError{fmt.Errorf("healthcheck: %w", err)}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s: %s", target, resp.Status)
	}
	fmt.Fprintf(stdout, "%s: %s\n", target, resp.Status)
	return nil
}

// healthURL turns a listen address into the URL of its /healthz on the
// loopback interface: ":8080" and "0.0.0.0:8080" become
// http://127.0.0.1:8080/healthz, "[::]:8080" http://[::1]:8080/healthz.
func healthURL(listen string) (string, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("server.listen %q: %w", listen, err)
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz", nil
}
