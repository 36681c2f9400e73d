package harness_test

import (
	"context"
	"testing"

	"go.uber.org/goleak"

	"github.com/gosk/gosk/bench/gosksubject"
	"github.com/gosk/gosk/bench/harness"
	"github.com/gosk/gosk/drivers/memory"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestPayloadCarriesItsNumber(t *testing.T) {
	for _, seq := range []int{0, 7, 299, 1_000_000} {
		p := harness.Payload(seq)
		if len(p) != harness.PayloadLen {
			t.Fatalf("Payload(%d) is %d bytes, want %d", seq, len(p), harness.PayloadLen)
		}
		got, err := harness.Seq(p)
		if err != nil || got != seq {
			t.Fatalf("Seq(Payload(%d)) = %d, %v", seq, got, err)
		}
	}
	if _, err := harness.Seq([]byte("short")); err == nil {
		t.Fatal("Seq of a 5-byte payload: no error")
	}
}

func TestQuantile(t *testing.T) {
	cases := []struct {
		vs   []float64
		q    float64
		want float64
	}{
		{nil, 0.5, 0},
		{[]float64{3}, 0.99, 3},
		{[]float64{1, 2, 3}, 0.5, 2},
		{[]float64{1, 2, 3, 4}, 0.5, 2.5},
		{[]float64{0, 10}, 0.99, 9.9},
	}
	for _, c := range cases {
		if got := harness.Quantile(c.vs, c.q); got != c.want {
			t.Errorf("Quantile(%v, %v) = %v, want %v", c.vs, c.q, got, c.want)
		}
	}
}

// TestRunOnGoskMemory runs the whole workload, smallest size, on gosk's
// memory driver: every phase must finish and report a rate.
func TestRunOnGoskMemory(t *testing.T) {
	opened := 0
	res, err := harness.Run(context.Background(), harness.Info{Library: "gosk", Backend: "memory", NativeBatch: true},
		&harness.Env{N: harness.BatchSize, Dir: t.TempDir()},
		func(context.Context, *harness.Env) (harness.Store, error) {
			opened++
			return gosksubject.New(memory.New(nil))
		})
	if err != nil {
		t.Fatal(err)
	}
	if opened != 3 {
		t.Errorf("opened %d stores, want 3: one each for single, batch and process, pickup", opened)
	}
	if res.Program != "gosk-memory" || res.N != harness.BatchSize {
		t.Errorf("result names %q with n %d", res.Program, res.N)
	}
	for name, v := range map[string]float64{"single": res.SinglePerS, "batch": res.BatchPerS, "process": res.ProcessPerS, "peak RSS": res.PeakRSSMiB} {
		if v <= 0 {
			t.Errorf("%s is %v, want a positive number", name, v)
		}
	}
	if res.PickupP99Ms < res.PickupP50Ms {
		t.Errorf("pickup p99 %v below p50 %v", res.PickupP99Ms, res.PickupP50Ms)
	}
}
