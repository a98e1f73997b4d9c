//go:build !linux

package outtree

// mountRoot is not detected off Linux: a Write over a mount point fails
// at the swap instead, leaving the old tree.
func mountRoot(dir, parent string) (bool, error) { return false, nil }
