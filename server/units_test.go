package server

import (
	"go/ast"
	"strings"
	"testing"
)

// TestCallsOnlyForRequests: a call is a request. The emulator's own work (the
// tick's due work) is a unit of work with no call: billing.RunDue over a
// billing.Unit and a changeLog, committed by commitChanges as a request's is.
// The one place a call is made is the request pipeline (run).
func TestCallsOnlyForRequests(t *testing.T) {
	fset, files := parseServerFiles(t)
	var made []string
	for _, f := range files {
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if lit, ok := n.(*ast.CompositeLit); ok {
					if id, ok := lit.Type.(*ast.Ident); ok && id.Name == "call" {
						made = append(made, fn.Name.Name+" at "+fset.Position(lit.Pos()).String())
					}
				}
				return true
			})
		}
	}
	if len(made) != 1 || !strings.HasPrefix(made[0], "run at ") {
		t.Errorf("calls are made in %v, want only in run (the request pipeline)", made)
	}
}
