// Command findservers prints which test servers `make test` will use and,
// for each one it will not, why the tests that need it skip. It runs the
// same look-up as package testenv (the variables, else the default
// loopback addresses), so its lines say what the tests will do.
package main

import (
	"fmt"

	"github.com/gosk/gosk/internal/testenv"
)

func main() {
	for _, s := range []struct{ name, what string }{
		{testenv.PostgresVar, "PostgreSQL"},
		{testenv.RedisVar, "Redis"},
	} {
		url, why := testenv.Find(s.name)
		switch {
		case url != "":
			fmt.Printf("test servers: %s tests run\n", s.what)
		case testenv.Required():
			fmt.Printf("test servers: %s tests will FAIL (%s=1): %s\n", s.what, testenv.RequireVar, why)
		default:
			fmt.Printf("test servers: %s tests will skip: %s; set %s or run `make services`\n", s.what, why, s.name)
		}
	}
}
