package worker

import (
	"context"
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
