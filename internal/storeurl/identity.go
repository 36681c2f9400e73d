package storeurl

import (
	"net"
	"net/url"
	"path/filepath"
	"strings"
)

// namespaceParams are, by kind, the query parameters that pick a store
// within the server or file the URL names.
var namespaceParams = map[string]string{
	KindSQLite:   "table_prefix",
	KindBbolt:    "bucket",
	KindPostgres: "schema",
	KindRedis:    "prefix",
}

// Identity names the store rawURL opens, the same for every URL that
// opens that store: its kind; the host, port and database, or the file's
// absolute path; and the parameter that picks a namespace there (schema,
// prefix, table_prefix, bucket). Credentials, and the parameters that
// only tune a connection, are left out. The gosk command's move records
// the origin of each task it moves under its source's identity, and
// refuses a source and destination of the same identity. Errors wrap
// driver.ErrInvalid.
func Identity(rawURL string) (string, error) {
	kind, err := Kind(rawURL)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", invalid("the URL %s cannot be parsed", Redact(rawURL))
	}
	var where string
	switch kind {
	case KindMemory:
		return "memory:", nil
	case KindSQLite, KindBbolt:
		p, err := filePath(u)
		if err != nil {
			return "", err
		}
		if where, err = filepath.Abs(p); err != nil {
			return "", invalid("the path of %s: %v", kind, err)
		}
		where = filepath.ToSlash(where)
	case KindPostgres:
		where = hostPort(u, "5432") + "/" + strings.TrimPrefix(u.Path, "/")
	case KindRedis:
		db := strings.TrimPrefix(u.Path, "/")
		if db == "" {
			db = "0"
		}
		where = hostPort(u, "6379") + "/" + db
	}
	id := kind + "://" + where
	if ns := u.Query().Get(namespaceParams[kind]); ns != "" {
		id += "?" + namespaceParams[kind] + "=" + url.QueryEscape(ns)
	}
	return id, nil
}

// hostPort is the URL's host, lower-cased, with port def if it names none.
func hostPort(u *url.URL, def string) string {
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if port == "" {
		port = def
	}
	return net.JoinHostPort(host, port)
}
