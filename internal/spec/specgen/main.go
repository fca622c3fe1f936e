// Command specgen extracts the request-parameter schemas of Stripe's operations
// catalogues (../shared/stripe-openapi/operations-<version>.json) into the
// files internal/spec embeds: operations.json from the 2024-06-20 catalogue
// (and the FromAcacia operations of the 2024-09-30.acacia one), and
// snapshots/<version>.json from each later catalogue a version's schemas
// start from (apiversion's Info.Catalogue). Run it through
// `go generate ./internal/spec` when a catalogue changes.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/stripe-emulator/stripe-emulator/internal/apiversion"
	"github.com/stripe-emulator/stripe-emulator/internal/spec"
)

func main() {
	in := flag.String("in", "../../../shared/stripe-openapi", "the directory of the catalogues")
	out := flag.String("out", ".", "where to write the extracts (the internal/spec directory)")
	flag.Parse()
	if err := generate(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "specgen:", err)
		os.Exit(1)
	}
}

func generate(in, out string) error {
	base, err := os.ReadFile(filepath.Join(in, "operations-2024-06-20.json"))
	if err != nil {
		return err
	}
	acacia, err := os.ReadFile(filepath.Join(in, "operations-"+apiversion.V2024_09_30_Acacia.Info().Catalogue+".json"))
	if err != nil {
		return err
	}
	extract, err := spec.Extract(base, acacia)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "operations.json"), extract, 0o644); err != nil {
		return err
	}
	for _, name := range spec.SnapshotNames() {
		data, err := os.ReadFile(filepath.Join(in, "operations-"+name+".json"))
		if err != nil {
			return err
		}
		extract, err := spec.ExtractSnapshot(data, base)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(out, "snapshots", name+".json"), extract, 0o644); err != nil {
			return err
		}
	}
	return nil
}
