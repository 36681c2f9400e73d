package redis

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"

	goredis "github.com/redis/go-redis/v9"
)

//go:embed lua/*.lua lua/migrations/*.lua
var luaFiles embed.FS

// scripts holds the driver's Lua scripts, each with base.lua prepended
// and, but for the few that need neither task records nor indexes (due,
// pause, resume, count), common.lua after it; create stands alone.
// Every atomic step of the driver is one of them, run by SHA (EVALSHA)
// with a fallback to EVAL when the server has lost its script cache.
type scripts struct {
	create, claim, ping, finish *goredis.Script
	retry, cancel, purge        *goredis.Script
	list, count                 *goredis.Script
	pause, resume, due, get     *goredis.Script
	// slot is slot.lua after create.lua, wrapped as the function
	// create_batch that slot.lua calls once it has taken the slot.
	slot *goredis.Script
	// imp is import.lua, which Driver.Import runs.
	imp *goredis.Script
	// createSrc is the create script's source, by which Driver.Tx finds
	// the create calls queued in a transaction.
	createSrc string
}

func mustRead(name string) string {
	b, err := luaFiles.ReadFile(name)
	if err != nil {
		panic(fmt.Sprintf("gosk/redis: embedded script %s: %v", name, err)) // cannot happen: embedded at build time
	}
	return string(b)
}

func loadScripts() *scripts {
	base := mustRead("lua/base.lua")
	common := base + "\n" + mustRead("lua/common.lua")
	lean := func(name string) string { return base + "\n" + mustRead("lua/"+name+".lua") }
	src := func(name string) string { return common + "\n" + mustRead("lua/"+name+".lua") }
	s := func(name string) *goredis.Script { return goredis.NewScript(src(name)) }
	create := mustRead("lua/create.lua")
	l := func(name string) *goredis.Script { return goredis.NewScript(lean(name)) }
	return &scripts{
		create: goredis.NewScript(create), claim: s("claim"), ping: s("ping"), finish: s("finish"),
		retry: s("retry"), cancel: s("cancel"), purge: s("purge"),
		list: s("list"), count: l("count"),
		pause: l("pause"), resume: l("resume"), due: l("due"), get: s("get"),
		createSrc: create,
		slot: goredis.NewScript(common + "\nlocal function create_batch()\n" + mustRead("lua/create.lua") +
			"\nend\n" + mustRead("lua/slot.lua")),
		imp: s("import"),
	}
}

// migrations returns the numbered migration scripts in order; the number in
// a file's name is the layout version it brings the prefix to.
func migrations() []*goredis.Script {
	names, err := fs.Glob(luaFiles, "lua/migrations/*.lua")
	if err != nil {
		panic(err) // cannot happen: the pattern is valid
	}
	sort.Strings(names)
	out := make([]*goredis.Script, len(names))
	for i, n := range names {
		out[i] = goredis.NewScript(mustRead(n))
	}
	return out
}

// LatestVersion is the key layout version this code migrates a prefix
// to: the number of its migration scripts. A prefix that Open or New
// accepted is at it.
func LatestVersion() int { return len(migrations()) }

// maxScriptCount bounds a count that a script passes on to a command
// (Claim's and Purge's limits, as ZRANGE and LIMIT arguments): 2^32 - 1,
// the most members a sorted set holds, so that a larger limit means the
// same as this one. A script's numbers are Lua's floating-point numbers,
// which it hands to a command formatted with %.14g: from 10^14 on that
// is "1e+14", which Redis refuses as "not an integer or out of range",
// so that a limit of math.MaxInt (all there is) would fail the call.
const maxScriptCount = 1<<32 - 1

// scriptCount returns n bounded by maxScriptCount.
func scriptCount(n int) int { return min(n, maxScriptCount) }
