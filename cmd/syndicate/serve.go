package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
)

var filepathAbs = filepath.Abs

// cmdServe is implemented in the serve issue.
func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "syndicate serve: not implemented yet")
	return exitFailed
}

func cmdHealthcheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "syndicate healthcheck: not implemented yet")
	return exitFailed
}
