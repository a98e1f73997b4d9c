//go:build !unix

package outtree

// holdFolder does nothing where there is no flock.
func holdFolder(string) func() { return func() {} }

// cleanStaging removes nothing where a dead build's staging folder cannot
// be told from a live one's (see staging_unix.go).
func cleanStaging(string, string) int { return 0 }
