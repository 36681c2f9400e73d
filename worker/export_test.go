package worker

// BudgetUsage returns, for the Run in progress of g, how many handler
// slots of the shared budget each worker holds, in the order added
// (Runners left out), and how many workers wait for one; nil and 0
// before the first Run or without a budget.
func BudgetUsage(g *Group) (held []int, waiting int) {
	g.mu.Lock()
	b := g.budget
	g.mu.Unlock()
	if b == nil {
		return nil, 0
	}
	return b.usage()
}
