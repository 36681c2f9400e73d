// Command gosk inspects and administers gosk task stores: it lists queues
// and tasks, retries, cancels and purges them, pauses and resumes queues,
// migrates a store's schema, moves tasks from one store to another,
// measures its throughput and serves the web dashboard.
//
// Install it with
//
//	go install github.com/gosk/gosk/cmd/gosk@latest
//
// Every command but move takes the store as a URL, with --url or the
// GOSK_URL environment variable (move takes two, as its arguments):
//
//	sqlite:///path/to/file.db   bbolt:///path/to/file.bolt
//	postgres://user@host/db     redis://host:6379/0
//	memory:                     (bench only)
//
// with the driver's options as query parameters (see internal/storeurl).
// Passwords in the URL are never printed.
//
// # Exit codes
//
//	0  success
//	1  an error (the store refused, a task could not be changed, ...)
//	2  a usage error (unknown command or flag, missing or bad argument)
//	3  a task named on the command line does not exist (show, retry,
//	   cancel), and nothing else went wrong
//
// Errors go to stderr, results to stdout. `gosk help` lists the commands
// and `gosk COMMAND --help` describes one.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
