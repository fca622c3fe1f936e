package server

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestPublicDeclarations lists every exported declaration of server and
// server/clock, the packages users import (with the types of fields and
// signatures), in testdata/golden/public_api.txt: a name added, removed or
// retyped shows as a line changed, and the file changes only when the public
// API is meant to (-update-golden rewrites it). public_test.go checks the
// same names from outside the package, at compile time.
func TestPublicDeclarations(t *testing.T) {
	var b strings.Builder
	for _, pkg := range []string{"server", "server/clock"} {
		b.WriteString("== " + pkg + "\n")
		for _, d := range exportedDecls(t, filepath.Join("..", pkg)) {
			b.WriteString(d + "\n")
		}
	}
	checkGolden(t, "public_api.txt", b.String())
}

// exportedDecls lists the exported declarations of the package in dir (its
// non-test files): "const X", "var X", "func F(T) R", "type T struct",
// "T.Field Type", "T.Method() R" (interfaces), "func (*T) M(A) R"; parameter
// names are left out, they are not part of the API.
func exportedDecls(t *testing.T, dir string) []string {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	src := func(n ast.Node) string {
		var b bytes.Buffer
		if err := printer.Fprint(&b, fset, n); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	sig := func(name string, ft *ast.FuncType) string {
		types := func(fl *ast.FieldList) []string {
			var ts []string
			if fl == nil {
				return nil
			}
			for _, f := range fl.List {
				for range max(1, len(f.Names)) {
					ts = append(ts, src(f.Type))
				}
			}
			return ts
		}
		s := name + "(" + strings.Join(types(ft.Params), ", ") + ")"
		switch r := types(ft.Results); len(r) {
		case 0:
		case 1:
			s += " " + r[0]
		default:
			s += " (" + strings.Join(r, ", ") + ")"
		}
		return s
	}
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() {
					continue
				}
				if d.Recv == nil {
					out = append(out, "func "+sig(d.Name.Name, d.Type))
					continue
				}
				recv := src(d.Recv.List[0].Type)
				if ast.IsExported(strings.TrimPrefix(recv, "*")) {
					out = append(out, "func ("+recv+") "+sig(d.Name.Name, d.Type))
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch s := spec.(type) {
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if n.IsExported() {
								out = append(out, d.Tok.String()+" "+n.Name)
							}
						}
					case *ast.TypeSpec:
						if s.Name.IsExported() {
							out = append(out, typeDecls(s, src, sig)...)
						}
					}
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		oi, ri := declOwner(out[i])
		oj, rj := declOwner(out[j])
		if oi != oj {
			return oi < oj
		}
		if ri != rj {
			return ri < rj
		}
		return out[i] < out[j]
	})
	return out
}

// declOwner is the name a line of exportedDecls is about (a type's fields and
// methods are its type's) and its rank under that name: the declaration,
// then fields, then methods, so that each type reads as one block.
func declOwner(line string) (string, int) {
	word := func(s string) string {
		return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '(' })[0]
	}
	switch {
	case strings.HasPrefix(line, "func ("):
		recv, _, _ := strings.Cut(strings.TrimPrefix(line, "func ("), ")")
		return strings.TrimPrefix(recv, "*"), 2
	case strings.HasPrefix(line, "func "), strings.HasPrefix(line, "type "), strings.HasPrefix(line, "const "), strings.HasPrefix(line, "var "):
		_, rest, _ := strings.Cut(line, " ")
		return word(rest), 0
	}
	owner, _, _ := strings.Cut(line, ".")
	return owner, 1
}

// typeDecls is a type's declaration and its exported fields or methods.
func typeDecls(s *ast.TypeSpec, src func(ast.Node) string, sig func(string, *ast.FuncType) string) []string {
	name := s.Name.Name
	switch tt := s.Type.(type) {
	case *ast.StructType:
		out := []string{"type " + name + " struct"}
		for _, f := range tt.Fields.List {
			for _, n := range f.Names {
				if n.IsExported() {
					out = append(out, name+"."+n.Name+" "+src(f.Type))
				}
			}
		}
		return out
	case *ast.InterfaceType:
		out := []string{"type " + name + " interface"}
		for _, m := range tt.Methods.List {
			if ft, ok := m.Type.(*ast.FuncType); ok && len(m.Names) == 1 {
				out = append(out, name+"."+sig(m.Names[0].Name, ft))
			} else {
				out = append(out, name+" embeds "+src(m.Type))
			}
		}
		return out
	}
	if s.Assign.IsValid() {
		return []string{"type " + name + " = " + src(s.Type)}
	}
	return []string{"type " + name + " " + src(s.Type)}
}
