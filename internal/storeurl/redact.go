package storeurl

import (
	"net/url"
	"strings"
)

// mask replaces a password in what Redact returns.
const mask = "xxxxx"

// secretParams are the query parameters whose values are passwords.
var secretParams = []string{"password", "sslpassword"}

// Redact returns rawURL with its passwords masked: the password of its
// user info and the values of its password and sslpassword parameters. A
// URL that does not parse is cut to its scheme, since a password in it
// could not be found.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		scheme, _, _ := strings.Cut(rawURL, ":")
		if len(scheme) > 20 || strings.ContainsAny(scheme, "@/ ") {
			scheme = "?"
		}
		return scheme + ":… (the rest is not shown: it does not parse, and may hold a password)"
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), mask)
		}
	}
	if u.RawQuery != "" {
		q := u.Query()
		changed := false
		for _, k := range secretParams {
			if q.Has(k) {
				q.Set(k, mask)
				changed = true
			}
		}
		if changed {
			u.RawQuery = q.Encode()
		}
	}
	return u.String()
}

// Scrub masks in s every password of rawURL, as written and decoded: for
// a message that may quote a piece of the URL, such as an error that a
// store's client library made.
func Scrub(s, rawURL string) string {
	var secrets []string
	if u, err := url.Parse(rawURL); err == nil {
		if pw, ok := u.User.Password(); ok {
			secrets = append(secrets, pw)
		}
		for _, k := range secretParams {
			secrets = append(secrets, u.Query()[k]...)
		}
	}
	// The raw user info too, as written, in case it did not parse.
	if _, rest, ok := strings.Cut(rawURL, "://"); ok {
		if at := strings.LastIndexByte(rest, '@'); at >= 0 {
			if _, pw, ok := strings.Cut(rest[:at], ":"); ok {
				secrets = append(secrets, pw)
				if dec, err := url.PathUnescape(pw); err == nil {
					secrets = append(secrets, dec)
				}
			}
		}
	}
	for _, pw := range secrets {
		if pw != "" {
			s = strings.ReplaceAll(s, pw, mask)
		}
	}
	return s
}
