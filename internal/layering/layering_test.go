// Package layering holds the test that keeps gosk's import direction true:
// adapters know only package driver; gosk, worker, driver, drivertest and
// gosktest know no adapter and no backend library. See DESIGN.md, "Layout".
package layering

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/gosk/gosk"

// backends are the store client libraries that only adapters may import.
var backends = []string{
	"github.com/jackc/pgx",
	"github.com/redis/go-redis",
	"go.etcd.io/bbolt",
	"modernc.org/sqlite",
}

var adapters = []string{"memory", "sqlite", "bbolt", "postgres", "redis"}

// deps maps each package of the module (tests excluded) to the packages it
// links, as the go command sees them.
func deps(t *testing.T) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, module+"/...").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	m := make(map[string][]string)
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		m[f[0]] = f[1:]
	}
	return m
}

func hasPrefix(pkg string, prefixes ...string) bool {
	for _, p := range prefixes {
		if pkg == p || strings.HasPrefix(pkg, p+"/") {
			return true
		}
	}
	return false
}

func TestImportDirection(t *testing.T) {
	all := deps(t)
	for _, must := range []string{module + "/driver", module + "/drivers/memory"} {
		if _, ok := all[must]; !ok {
			t.Fatalf("go list did not report %s; the test would check nothing", must)
		}
	}
	var adapterPkgs []string
	for _, a := range adapters {
		adapterPkgs = append(adapterPkgs, module+"/drivers/"+a)
	}

	for pkg, ds := range all {
		switch {
		case pkg == module || hasPrefix(pkg, module+"/driver", module+"/worker", module+"/drivertest", module+"/gosktest"):
			for _, d := range ds {
				if hasPrefix(d, adapterPkgs...) || hasPrefix(d, backends...) {
					t.Errorf("%s links %s: the core and the port must not know an adapter or a store library", pkg, d)
				}
			}
		case hasPrefix(pkg, adapterPkgs...):
			for _, d := range ds {
				if hasPrefix(d, module+"/worker", module+"/drivertest") || d == module {
					t.Errorf("%s links %s: an adapter knows only package driver", pkg, d)
				}
				if hasPrefix(d, adapterPkgs...) && !hasPrefix(d, pkg) {
					t.Errorf("%s links %s: adapters never import each other", pkg, d)
				}
			}
		}
		if pkg == module+"/driver" {
			for _, d := range ds {
				if hasPrefix(d, module) {
					t.Errorf("package driver links %s: the port depends on nothing in the module", d)
				}
			}
		}
	}
}
