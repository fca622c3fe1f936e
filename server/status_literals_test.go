package server

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// TestNoStatusLiterals counts the places where a status field (a field whose
// name ends in Status) is compared with, assigned or switched on a string
// literal ("trialing") instead of a typed constant, in server and the billing
// engine once it exists. Issue 14 brings them to none; until then today's
// are an allowlist (testdata/golden/status_literals.txt, one line per place:
// count, file, expression), so a new one fails, and one removed fails until
// -update-golden shrinks the list.
func TestNoStatusLiterals(t *testing.T) {
	got := map[string]int{}
	for _, dir := range []string{".", filepath.Join("..", "internal", "billing")} {
		for k, n := range statusLiterals(t, dir) {
			got[k] += n
		}
	}
	var lines []string
	for k, n := range got {
		lines = append(lines, strconv.Itoa(n)+"\t"+k)
	}
	sort.Strings(lines)
	text := strings.Join(lines, "\n") + "\n"
	if *updateGolden {
		checkGolden(t, "status_literals.txt", text)
		return
	}
	b, err := os.ReadFile(filepath.Join("testdata", "golden", "status_literals.txt"))
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line == "" {
			continue // an allowlist of none
		}
		n, k, ok := strings.Cut(line, "\t")
		c, err := strconv.Atoi(n)
		if !ok || err != nil {
			t.Fatalf("status_literals.txt: malformed line %q", line)
		}
		allowed[k] = c
	}
	total := 0
	for k, n := range got {
		total += n
		if n > allowed[k] {
			t.Errorf("a status compared with or set to a string literal: %s (%d, allowed %d): use a typed status constant", k, n, allowed[k])
		}
	}
	for k, n := range allowed {
		if got[k] < n {
			t.Errorf("%s: %d left of the %d allowed: go test ./server -run TestNoStatusLiterals -update-golden shrinks the allowlist", k, got[k], n)
		}
	}
	t.Logf("%d status literals left", total)
}

// statusLiterals counts, by "file<TAB>expression", the status literals of
// the non-test Go files in dir (none if dir does not exist).
func statusLiterals(t *testing.T, dir string) map[string]int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		src := func(n ast.Node) string {
			var b bytes.Buffer
			if err := printer.Fprint(&b, fset, n); err != nil {
				t.Fatal(err)
			}
			return b.String()
		}
		name := filepath.ToSlash(filepath.Join(dir, filepath.Base(path)))
		name = strings.TrimPrefix(name, "./")
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.BinaryExpr:
				if (x.Op == token.EQL || x.Op == token.NEQ) && (isStatus(x.X) && isString(x.Y) || isString(x.X) && isStatus(x.Y)) {
					out[name+"\t"+src(x)]++
				}
			case *ast.AssignStmt:
				for i, l := range x.Lhs {
					if i < len(x.Rhs) && isStatus(l) && isString(x.Rhs[i]) {
						out[name+"\t"+src(l)+" = "+src(x.Rhs[i])]++
					}
				}
			case *ast.KeyValueExpr:
				if k, ok := x.Key.(*ast.Ident); ok && strings.HasSuffix(k.Name, "Status") && isString(x.Value) {
					out[name+"\t"+k.Name+": "+src(x.Value)]++
				}
			case *ast.SwitchStmt:
				if x.Tag != nil && isStatus(x.Tag) {
					for _, c := range x.Body.List {
						for _, e := range c.(*ast.CaseClause).List {
							if isString(e) {
								out[name+"\t"+fmt.Sprintf("switch %s case %s", src(x.Tag), src(e))]++
							}
						}
					}
				}
			}
			return true
		})
	}
	return out
}

// isStatus reports whether e is a field selection x.SomethingStatus.
func isStatus(e ast.Expr) bool {
	s, ok := e.(*ast.SelectorExpr)
	return ok && strings.HasSuffix(s.Sel.Name, "Status")
}

func isString(e ast.Expr) bool {
	l, ok := e.(*ast.BasicLit)
	return ok && l.Kind == token.STRING
}
