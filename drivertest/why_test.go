package drivertest

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestEveryRuleSaysWhy keeps whys and the rules in step: a new rule needs
// its one-line reason, and a renamed or removed rule takes its reason along.
func TestEveryRuleSaysWhy(t *testing.T) {
	assert.Empty(t, checkWhys(groups()), "every subtest of Run has a one-line reason in whys, and every reason a subtest")
}

// TestCheckWhysFindsGaps shows that checkWhys reports a rule without a
// reason and a reason without a rule.
func TestCheckWhysFindsGaps(t *testing.T) {
	gs := []group{{name: "Create", rules: []rule{{name: "GetReturnsWhatCreateStored"}, {name: "NoSuchRule"}}}}
	problems := checkWhys(gs)
	assert.Contains(t, problems, "Create/NoSuchRule has no reason in whys")
	assert.Contains(t, problems, "whys names Fencing/StaleLeaseAfterReclaim, which is no rule of groups")
	assert.NotContains(t, problems, "whys names Create/GetReturnsWhatCreateStored, which is no rule of groups")
	assert.Len(t, problems, len(whys), "one rule without a reason, and every reason but one without its rule")
}
