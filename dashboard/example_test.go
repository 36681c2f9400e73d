package dashboard_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/gosk/gosk/dashboard"
	"github.com/gosk/gosk/drivers/memory"
)

// A dashboard mounted under /gosk/ of an application's own mux. A command
// would serve the mux with an http.Server on dashboard.DefaultAddr; here
// one request stands in for a browser.
func ExampleNew() {
	ctx := context.Background()
	drv := memory.New(nil)
	defer drv.Close()

	h, err := dashboard.New(ctx, drv, &dashboard.Options{
		Queues:   []string{"emails"},
		Prefix:   "/gosk",
		ReadOnly: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close()
	mux := http.NewServeMux()
	mux.Handle("/gosk/", h)

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/gosk/", nil))
	fmt.Println(rec.Code, rec.Header().Get("Content-Security-Policy") != "")
	// Output: 200 true
}
