package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/storeurl"
)

// The exit codes, which scripts may rely on.
const (
	exitOK       = 0
	exitError    = 1
	exitUsage    = 2
	exitNotFound = 3
)

// urlEnv is the environment variable that gives the store's URL when
// --url is not set.
const urlEnv = "GOSK_URL"

// command is one subcommand of gosk. Adding a command is adding an entry
// to commands and a file with its run function.
type command struct {
	name    string
	args    string // the positional arguments, for the usage line
	summary string
	// memory allows the memory: store, which no other process can see.
	memory bool
	// ownStores: the command takes its stores' URLs as arguments and
	// opens them itself; it has no --url.
	ownStores bool
	// flags declares the command's own flags on fs; nil: none.
	flags func(fs *flag.FlagSet, c *call)
	run   func(c *call) error
}

// commands lists every command, in the order help shows them.
var commands = []*command{
	queuesCmd, statsCmd, listCmd, showCmd,
	retryCmd, cancelCmd, pauseCmd, resumeCmd, purgeCmd,
	migrateCmd, moveCmd, benchCmd, dashboardCmd,
}

// call is one run of a command: its streams, parsed flags and arguments.
type call struct {
	ctx            context.Context
	cmd            *command
	stdout, stderr io.Writer
	url            string
	urls           []string // the URLs of a command with ownStores, for scrub
	json           bool     // --json, for the commands that declare it
	args           []string
	store          *storeurl.Store
	// opts holds the command's own flag values, set by its flags function.
	opts any
}

// usageError is a mistake on the command line: exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return usageError{fmt.Sprintf(format, args...)}
}

// errHelp ends a run that printed help: exit code 0.
var errHelp = errors.New("help")

// run runs gosk with args (without the program name) and returns the
// exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printHelp(stderr)
		return exitUsage
	}
	name := args[0]
	if name == "help" || name == "-h" || name == "--help" || name == "-help" {
		if len(args) > 1 {
			if cmd := lookup(args[1]); cmd != nil {
				printUsage(stdout, cmd, newFlagSet(cmd, &call{}))
				return exitOK
			}
		}
		printHelp(stdout)
		return exitOK
	}
	cmd := lookup(name)
	if cmd == nil {
		fmt.Fprintf(stderr, "gosk: unknown command %q\n\n", name)
		printHelp(stderr)
		return exitUsage
	}
	c := &call{ctx: ctx, cmd: cmd, stdout: stdout, stderr: stderr}
	err := c.start(args[1:])
	if err == nil {
		err = cmd.run(c)
	}
	if c.store != nil {
		if cerr := c.store.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}
	return c.exit(err)
}

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// exit prints err, if any, and returns its exit code.
func (c *call) exit(err error) int {
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(c.stderr, "gosk %s: %s\n", c.cmd.name, c.scrub(err.Error()))
		fmt.Fprintf(c.stderr, "run 'gosk %s --help' for usage\n", c.cmd.name)
		return exitUsage
	case errors.Is(err, errReported):
		return exitError
	case errors.Is(err, errNotFoundReported):
		return exitNotFound
	}
	fmt.Fprintf(c.stderr, "gosk %s: %s\n", c.cmd.name, c.scrub(err.Error()))
	if errors.Is(err, driver.ErrTaskNotFound) {
		return exitNotFound
	}
	return exitError
}

// errReported and errNotFoundReported end a run whose errors were
// already printed, one per item, with exit code 1 or 3.
var (
	errReported         = errors.New("reported")
	errNotFoundReported = errors.New("not found, reported")
)

// scrub masks the passwords of the store's URL (or URLs) in s.
func (c *call) scrub(s string) string {
	for _, u := range append([]string{c.url}, c.urls...) {
		if u != "" {
			s = storeurl.Scrub(s, u)
		}
	}
	return s
}

// start parses the command's flags and opens its store.
func (c *call) start(args []string) error {
	fs := newFlagSet(c.cmd, c)
	// Flags may come before, between or after the arguments ("show 7
	// --json"); "--" ends the flags.
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				printUsage(c.stdout, c.cmd, fs)
				return errHelp
			}
			return usageError{err.Error()}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			c.args = append(c.args, rest...)
			break
		}
		c.args = append(c.args, rest[0])
		args = rest[1:]
	}
	if c.cmd.ownStores {
		return nil
	}
	if c.url == "" {
		c.url = os.Getenv(urlEnv)
	}
	if c.url == "" {
		return usagef("no store: give --url or set %s", urlEnv)
	}
	kind, err := storeurl.Kind(c.url)
	if err != nil {
		return usageError{err.Error()}
	}
	if kind == storeurl.KindMemory && !c.cmd.memory {
		return usagef("memory: is a store of this process only, so %s would see nothing; use it with bench", c.cmd.name)
	}
	s, err := storeurl.Open(c.ctx, c.url)
	if err != nil {
		return err
	}
	c.store = s
	return nil
}

func newFlagSet(cmd *command, c *call) *flag.FlagSet {
	fs := flag.NewFlagSet("gosk "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if !cmd.ownStores {
		fs.StringVar(&c.url, "url", "", "the store's `URL` (default $"+urlEnv+")")
	}
	if cmd.flags != nil {
		cmd.flags(fs, c)
	}
	return fs
}

func printUsage(w io.Writer, cmd *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: %s\n\n%s\n\nflags:\n", strings.TrimSpace("gosk "+cmd.name+" [flags] "+cmd.args), cmd.summary)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

func printHelp(w io.Writer) {
	fmt.Fprintf(w, "gosk administers gosk task stores.\n\nusage: gosk COMMAND [flags] [args]\n\ncommands:\n")
	for _, c := range commands {
		first, _, _ := strings.Cut(c.summary, "\n")
		fmt.Fprintf(w, "  %-8s %s\n", c.name, first)
	}
	fmt.Fprintf(w, `
Every command takes the store with --url or $%s:
  sqlite:///path/to/file.db     bbolt:///path/to/file.bolt
  postgres://user@host/db       redis://host:6379/0
  memory:                       (bench only)
with the driver's options as query parameters (schema=, prefix=,
table_prefix=, bucket=, ...). Passwords are never printed.

exit codes: 0 ok, 1 error, 2 usage, 3 task not found.
'gosk COMMAND --help' describes a command.
`, urlEnv)
}
