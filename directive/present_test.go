package directive

import (
	"os"
	"strings"
	"testing"

	"golang.org/x/tools/present"
)

// TestSelectLinesMatchesPresent holds selectLines (and the OMIT and
// blank-line trimming of codeBlock) to golang.org/x/tools/present, whose
// .code command the Go website's {{code}} runs: for every address form
// the blog uses, against the code files of the case tests, both pick
// the same lines.
func TestSelectLinesMatchesPresent(t *testing.T) {
	files := map[string][]byte{}
	for _, name := range []string{"context/interface.go", "hello.go"} {
		data, err := os.ReadFile("testdata/files/" + name)
		if err != nil {
			t.Fatal(err)
		}
		files[name] = data
	}
	ctx := &present.Context{ReadFile: func(name string) ([]byte, error) {
		return files[strings.TrimPrefix(name, "x/")], nil
	}}
	for _, c := range []struct{ file, addr string }{
		{"context/interface.go", ""},
		{"context/interface.go", "/A Context/,/^}/"},
		{"context/interface.go", "/type Context/,/Done/"},
		{"context/interface.go", "/Done/"},
		{"context/interface.go", "/Done/,$"},
		{"context/interface.go", "/Done/+1,/Deadline/-1"},
		{"context/interface.go", "3,6"},
		{"context/interface.go", "/package/,/STOP/"},
		{"context/interface.go", "/^type/,/^}/"},
		{"hello.go", "/func main/,$"},
		{"hello.go", "/import/,/func/"},
		{"hello.go", "1,/main/"},
		{"hello.go", "$"},
		{"hello.go", "/main/,/main/"},
		{"hello.go", "2"},
		{"hello.go", "/func/+,/}/"},
		{"hello.go", "/Println/-1,/Println/+"},
		{"context/interface.go", "/^}/,/A Context/"},
		{"context/interface.go", "/Done/-2,/Done/+2"},
		{"context/interface.go", "/Done/-3,/Deadline/-1"},
		{"context/interface.go", "0,/Context/"},
	} {
		var addrs []string
		if c.addr != "" {
			addrs = []string{c.addr}
		}
		lines, err := selectLines(string(files[c.file]), addrs)
		if err != nil {
			t.Errorf("%s %s: %v", c.file, c.addr, err)
			continue
		}
		var kept []string
		for _, l := range lines {
			if !strings.HasSuffix(l, "OMIT") {
				kept = append(kept, l)
			}
		}
		got := strings.TrimSpace(strings.Join(kept, "\n"))

		doc, err := ctx.Parse(strings.NewReader("Title\n\n* Section\n\n.code "+c.file+" "+c.addr+"\n"), "x/post.article", 0)
		if err != nil {
			t.Fatalf("%s %s: present: %v", c.file, c.addr, err)
		}
		var want string
		for _, s := range doc.Sections {
			for _, e := range s.Elem {
				if code, ok := e.(present.Code); ok {
					want = strings.TrimSpace(string(code.Raw))
				}
			}
		}
		if got != want {
			t.Errorf("%s %s:\n%s\npresent picks:\n%s", c.file, c.addr, got, want)
		}
	}
}
