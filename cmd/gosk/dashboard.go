package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/gosk/gosk/dashboard"
	"github.com/gosk/gosk/driver"
)

// passwordEnv gives the dashboard's basic-auth password, which a flag
// would show to every user of the machine through the process list.
const passwordEnv = "GOSK_DASHBOARD_PASSWORD"

var dashboardCmd = &command{
	name: "dashboard",
	summary: "Serve the web dashboard until interrupted (SIGINT or SIGTERM).\n" +
		"It listens on loopback unless --addr says otherwise. With --user, every request needs\n" +
		"basic auth, with the password from $" + passwordEnv + ". --read-only refuses every action.",
	flags: func(fs *flag.FlagSet, c *call) {
		o := &dashboardOpts{}
		fs.StringVar(&o.addr, "addr", dashboard.DefaultAddr, "the `ADDRESS` to listen on (host:port)")
		fs.StringVar(&o.queues, "queues", "", "comma-separated `QUEUES` to show (default: every queue the store holds, listed again at each page load)")
		fs.BoolVar(&o.readOnly, "read-only", false, "show only: refuse retry, cancel, pause and resume")
		fs.StringVar(&o.user, "user", "", "require basic auth as `USER`, with the password from $"+passwordEnv)
		c.opts = o
	},
	run: runDashboard,
}

type dashboardOpts struct {
	addr, queues, user string
	readOnly           bool
}

func runDashboard(c *call) error {
	o := c.opts.(*dashboardOpts)
	opts := &dashboard.Options{ReadOnly: o.readOnly}
	if o.user != "" {
		pw := os.Getenv(passwordEnv)
		if pw == "" {
			return usagef("--user needs a password in $%s", passwordEnv)
		}
		opts.BasicAuth = &dashboard.BasicAuth{User: o.user, Password: pw}
	}
	if o.queues != "" {
		opts.Queues = strings.Split(o.queues, ",")
	} else if _, ok := c.store.Driver.(driver.QueueLister); !ok {
		// Without Queues the dashboard lists the store's queues itself.
		return errors.New("the driver does not implement driver.QueueLister, so its queues cannot be listed: name them with --queues")
	}
	h, err := dashboard.New(c.ctx, c.store.Driver, opts)
	if err != nil {
		return err
	}
	defer h.Close()
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(c.stdout, "dashboard of %s on http://%s/\n", c.store.URL, ln.Addr())
	select {
	case err := <-served:
		return err
	case <-c.ctx.Done():
	}
	// The run was interrupted: let requests in flight finish, briefly.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
