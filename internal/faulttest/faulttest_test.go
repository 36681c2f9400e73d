package faulttest_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/memory"
	"github.com/gosk/gosk/internal/faulttest"
)

// TestMain fails the package's tests if a goroutine outlives them.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestLoadOnHealthyStore: on a store that works, the load's producer and
// worker carry on, and Finish finds every acknowledged task final.
func TestLoadOnHealthyStore(t *testing.T) {
	d := memory.New(nil)
	defer d.Close()
	l := faulttest.Start(t, d, "healthy")
	l.WaitAcked(50)
	acked, failed := l.Finish()
	if acked < 50 || failed != 0 {
		t.Errorf("%d creates acknowledged and %d failed, want at least 50 and none", acked, failed)
	}
}

// TestExercise: Exercise runs every task it creates.
func TestExercise(t *testing.T) {
	d := memory.New(nil)
	defer d.Close()
	faulttest.Exercise(t, d, "exercise", 20)
	counts, err := d.Count(context.Background(), "exercise")
	if err != nil {
		t.Fatal(err)
	}
	if counts[driver.StateCompleted] != 20 {
		t.Errorf("counts %v, want 20 completed", counts)
	}
}

// leaky is a store that is down and says so with the password in its
// error, as a careless driver would.
type leaky struct {
	*memory.Driver
	secret string
}

func (l leaky) err() error {
	return fmt.Errorf("dial redis://:%s@127.0.0.1:1: %w", l.secret, errors.New("connection refused"))
}

func (l leaky) Create(context.Context, []driver.NewTask) ([]driver.CreateResult, error) {
	return nil, l.err()
}

func (l leaky) Claim(context.Context, driver.ClaimParams) ([]driver.ClaimedTask, error) {
	return nil, l.err()
}

// errorsTB is a testing.TB that keeps what Errorf reports.
type errorsTB struct {
	testing.TB
	errs []string
}

func (e *errorsTB) Errorf(format string, args ...any) {
	e.errs = append(e.errs, fmt.Sprintf(format, args...))
}

// TestNoSecretFindsThePassword: RunUntilLogged gathers the log lines and
// errors of a store that fails, and NoSecret reports each line and error
// that prints the password.
func TestNoSecretFindsThePassword(t *testing.T) {
	const secret = "hunter2hunter2"
	d := leaky{Driver: memory.New(nil), secret: secret}
	defer d.Close()
	log := &faulttest.Log{}
	errs := faulttest.RunUntilLogged(t, d, log, 3)
	if len(errs) == 0 {
		t.Fatal("no create failed")
	}
	e := &errorsTB{TB: t}
	faulttest.NoSecret(e, secret, log, errs)
	var lines, errLines int
	for _, m := range e.errs {
		switch {
		case strings.HasPrefix(m, "log line"):
			lines++
		case strings.HasPrefix(m, "an error"):
			errLines++
		}
	}
	if lines < 3 || errLines != len(errs) {
		t.Errorf("NoSecret reported %d log lines and %d of %d errors; want at least 3 lines and every error:\n%s",
			lines, errLines, len(errs), strings.Join(e.errs, "\n"))
	}
}
