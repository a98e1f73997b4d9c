package server

import (
	"path/filepath"
	"sort"
	"strings"
)

// Redactor replaces each folder's path (as given, cleaned and made
// absolute) with its label, longest paths first so that a folder inside
// another keeps its own label. /readyz is reachable through the proxy:
// it says what failed without telling the internet where things live.
func Redactor(folders map[string]string) func(string) string {
	type pair struct{ old, new string }
	var pairs []pair
	seen := map[string]bool{}
	for dir, label := range folders {
		if dir == "" {
			continue
		}
		forms := []string{dir, filepath.Clean(dir)}
		if abs, err := filepath.Abs(dir); err == nil {
			forms = append(forms, abs)
		}
		for _, f := range forms {
			if f == "." || f == "/" || seen[f] {
				continue
			}
			seen[f] = true
			pairs = append(pairs, pair{f, label})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if len(pairs[i].old) != len(pairs[j].old) {
			return len(pairs[i].old) > len(pairs[j].old)
		}
		return pairs[i].old < pairs[j].old
	})
	args := make([]string, 0, 2*len(pairs))
	for _, p := range pairs {
		args = append(args, p.old, p.new)
	}
	r := strings.NewReplacer(args...)
	return r.Replace
}
