// Command capsgen writes package goskprom's wrapper types and their
// table (see package capsgen) into the current directory. go generate
// runs it in contrib/prometheus:
//
//	go generate ./...
package main

import (
	"fmt"
	"os"
	"sort"

	"github.com/gosk/gosk/contrib/prometheus/internal/capsgen"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run() error {
	if len(os.Args) > 1 {
		return fmt.Errorf("capsgen: takes no arguments; run it in contrib/prometheus")
	}
	// Write nowhere but next to the wrapper's hand-written half.
	if _, err := os.Stat("driver.go"); err != nil {
		return fmt.Errorf("capsgen: run it in contrib/prometheus, next to driver.go: %w", err)
	}
	files, err := capsgen.Files()
	if err != nil {
		return err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := os.WriteFile(name, files[name], 0o644); err != nil {
			return fmt.Errorf("capsgen: %w", err)
		}
	}
	return nil
}
