package worker

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestBudgetWaiterThatGivesUpLeavesNoSlotBehind checks that a member whose
// context ends while it waits takes nothing, and that what comes back
// later goes to the members still waiting, by weight.
func TestBudgetWaiterThatGivesUpLeavesNoSlotBehind(t *testing.T) {
	b := newBudget(2)
	heavy, light, quitter := b.join(3), b.join(1), b.join(1)
	require.Equal(t, 2, heavy.acquire(context.Background(), 5), "free slots are taken at once")

	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan int)
	go func() { got <- quitter.acquire(ctx, 1) }()
	require.Eventually(t, func() bool { _, w := b.usage(); return w == 1 }, 10*time.Second, time.Millisecond)
	cancel()
	require.Equal(t, 0, <-got)

	go func() { got <- light.acquire(context.Background(), 3) }()
	require.Eventually(t, func() bool { _, w := b.usage(); return w == 1 }, 10*time.Second, time.Millisecond)
	heavy.release(2)
	require.Equal(t, 2, <-got, "the only waiter gets every slot that comes back")
	held, waiting := b.usage()
	require.Equal(t, []int{0, 2, 0}, held)
	require.Zero(t, waiting)
	light.release(2)
	require.Equal(t, 2, quitter.acquire(context.Background(), 2))
}

// TestBudgetOrdersHugeWeights checks that weights near math.MaxInt order
// members as small ones do: held times weight must not wrap around and
// put the member that holds more for its weight first.
func TestBudgetOrdersHugeWeights(t *testing.T) {
	b := newBudget(0)
	heavy, light := b.join(math.MaxInt), b.join(1)
	heavy.held, light.held = 3, 2
	// 3/MaxInt is far less than 2/1: the heavy member comes first, though
	// light.held*heavy.weight wraps around in 64 bits.
	require.True(t, heavy.before(light), "the member holding fewer slots for its weight comes first")
	require.False(t, light.before(heavy))
	same := b.join(math.MaxInt)
	same.held = 3
	require.False(t, heavy.before(same), "equal shares of equal weights: neither comes first")
}
