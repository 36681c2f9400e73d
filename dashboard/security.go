package dashboard

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
)

// csrfField is the name of the hidden form field that carries the token.
const csrfField = "csrf"

// authorized reports whether r presents the configured basic
// authentication, or true when none is configured. Both values are
// hashed first, so that the comparison takes the same time whatever their
// lengths.
func (h *Handler) authorized(r *http.Request) bool {
	want := h.opts.BasicAuth
	if want == nil {
		return true
	}
	user, pass, ok := r.BasicAuth()
	if !ok {
		return false
	}
	u1, u2 := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(want.User))
	p1, p2 := sha256.Sum256([]byte(pass)), sha256.Sum256([]byte(want.Password))
	return subtle.ConstantTimeCompare(u1[:], u2[:])&subtle.ConstantTimeCompare(p1[:], p2[:]) == 1
}

// csrfToken returns the token for the forms served to r: an HMAC, under
// the per-process secret, of the authenticated user (empty without basic
// authentication). A token is good until the process restarts; another
// site cannot read it from the page, since browsers keep it from other
// origins and the CSP forbids framing.
func (h *Handler) csrfToken(r *http.Request) string {
	user, _, _ := r.BasicAuth()
	m := hmac.New(sha256.New, h.secret)
	m.Write([]byte("gosk dashboard csrf\x00"))
	m.Write([]byte(user))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// errForbidden is what a refused POST answers.
var (
	errReadOnly    = errors.New("the dashboard is read-only")
	errCrossOrigin = errors.New("cross-origin request refused")
	errBadToken    = errors.New("missing or wrong CSRF token; reload the page and try again")
)

// checkPost decides whether a POST may act: not in read-only mode, from
// the dashboard's own origin (Sec-Fetch-Site, else Origin, as
// net/http.CrossOriginProtection checks them), with the form's CSRF
// token. It must be called after r's form is parsed.
func (h *Handler) checkPost(r *http.Request) error {
	if h.opts.ReadOnly {
		return errReadOnly
	}
	if err := h.cop.Check(r); err != nil {
		return errCrossOrigin
	}
	got := r.PostForm.Get(csrfField)
	want := h.csrfToken(r)
	if got == "" || !hmac.Equal([]byte(got), []byte(want)) {
		return errBadToken
	}
	return nil
}
