//go:build !linux

package outtree

// exchange swaps two folders with two renames; there is a moment in which
// b is missing, which a reader may see as a 404.
func exchange(a, b string) error { return swapByRename(a, b) }
