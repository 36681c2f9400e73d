package gosk_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestReadmeExampleCompiles type-checks the README's example once with
// the driver its code opens and once with each alternative its comment
// names, so that every "or ..." drops in as written. The example is a
// function body: its leading type goes to the package level, and the
// helpers it calls but does not show (taskIsInvalid, process) are stubs.
func TestReadmeExampleCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go vet on generated programs; not in -short")
	}
	goBin, err := exec.LookPath("go")
	require.NoError(t, err, "the go command is needed to type-check the README")
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	body := exampleBlock(t, string(readme))

	typeEnd := strings.Index(body, "\n}\n")
	require.True(t, strings.HasPrefix(body, "type myTask struct"), "the example starts with its task type")
	typeDecl, stmts := body[:typeEnd+3], body[typeEnd+3:]

	line := regexp.MustCompile(`(?m)^drv, err := (\w+\.Open\(.*?\)) // or (.*)$`).FindStringSubmatch(stmts)
	require.NotNil(t, line, "the example opens its driver on one line, with the alternatives in a comment")
	drivers := append([]string{line[1]}, regexp.MustCompile(`\w+\.Open\([^)]*\)`).FindAllString(line[2], -1)...)
	require.GreaterOrEqual(t, len(drivers), 4, "the comment names the other drivers: %q", line[2])

	dir, err := os.MkdirTemp("testdata", "readme-")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	var pkgs []string
	for _, open := range drivers {
		name := open[:strings.Index(open, ".")]
		code := strings.Replace(stmts, line[0], "drv, err := "+open, 1)
		src := `package main

import (
	"context"
	"log"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/drivers/` + name + `"
	"github.com/gosk/gosk/worker"
)

` + typeDecl + `
func taskIsInvalid(myTask) bool             { return false }
func process(context.Context, myTask) error { return nil }

func main() {
	ctx := context.Background()
` + code + `}
`
		pkg := filepath.Join(dir, name)
		require.NoError(t, os.Mkdir(pkg, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(pkg, "main.go"), []byte(src), 0o600))
		pkgs = append(pkgs, "./"+filepath.ToSlash(pkg))
	}
	out, err := exec.Command(goBin, append([]string{"vet"}, pkgs...)...).CombinedOutput()
	require.NoError(t, err, "the README's example does not compile with one of its drivers:\n%s", out)
}

// exampleBlock returns the first Go code block under "## Example".
func exampleBlock(t *testing.T, readme string) string {
	t.Helper()
	_, section, ok := strings.Cut(readme, "\n## Example\n")
	require.True(t, ok, "README has an Example section")
	_, block, ok := strings.Cut(section, "```go\n")
	require.True(t, ok, "the Example section has a Go block")
	block, _, ok = strings.Cut(block, "```\n")
	require.True(t, ok, "the Go block ends")
	return block
}

// TestReadmeServiceSnippetsCompile type-checks every Go block of the
// README's "Running a service" section, each as the body of a function
// that returns an error, beside the types and values the snippets use
// without showing them (the queues and workers of an e-mail and a
// thumbnail service, a Group g, a task id, a resize helper).
func TestReadmeServiceSnippetsCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go vet on a generated program; not in -short")
	}
	goBin, err := exec.LookPath("go")
	require.NoError(t, err, "the go command is needed to type-check the README")
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(readme), "\n## Running a service\n")
	require.True(t, ok, "README has a Running a service section")
	section, _, _ = strings.Cut(section, "\n## ")
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```\n").FindAllStringSubmatch(section, -1)
	require.GreaterOrEqual(t, len(blocks), 4, "a Go block each for many queues, a schedule, a pause and a result")

	src := `package main

import (
	"context"
	"time"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/worker"
)

type Email struct{ To string }
type Thumbnail struct {
	Image string
	Width int
}
type Thumb struct {
	URL   string
	Bytes int
}
type Report struct{ Day time.Time }

var (
	emails          *gosk.Queue[Email]
	thumbnails      *gosk.Queue[Thumbnail]
	reports         *gosk.Queue[Report]
	emailWorker     *worker.Worker[Email]
	thumbnailWorker *worker.Worker[Thumbnail]
	g               *worker.Group
	id              int64
)

func resize(context.Context, Thumbnail) (string, int, error) { return "", 0, nil }

func main() {}
`
	for i, b := range blocks {
		src += fmt.Sprintf("\nfunc snippet%d(ctx context.Context) error {\n%s}\n", i, b[1])
	}
	dir, err := os.MkdirTemp("testdata", "readme-service-")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o600))
	out, err := exec.Command(goBin, "vet", "./"+filepath.ToSlash(dir)).CombinedOutput()
	require.NoError(t, err, "a snippet of the README's Running a service section does not compile:\n%s\n%s", out, src)
}
