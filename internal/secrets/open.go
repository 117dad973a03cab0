package secrets

import (
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
)

// Factory opens a backend from a location URL such as
// vault://vault.internal:8200/secret/data/sluice.
type Factory func(u *url.URL) (Backend, error)

var (
	factoriesMu sync.RWMutex
	factories   = map[string]Factory{}
)

// Register makes Open accept locations of the scheme (called from init()
// of a backend package that cmd/sluice imports, as tasks register).
func Register(scheme string, f Factory) {
	factoriesMu.Lock()
	defer factoriesMu.Unlock()
	if _, dup := factories[scheme]; dup {
		panic("secrets: scheme registered twice: " + scheme)
	}
	factories[scheme] = f
}

// Schemes lists the registered schemes.
func Schemes() []string {
	factoriesMu.RLock()
	defer factoriesMu.RUnlock()
	out := make([]string, 0, len(factories))
	for s := range factories {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Open opens the backend at location: SCHEME://… for a registered scheme,
// else a local path, a folder (one file per secret) or a secrets file
// (dotenv, or YAML for .yml/.yaml).
func Open(location string) (Backend, error) {
	if scheme, _, ok := strings.Cut(location, "://"); ok && scheme != "" && !strings.ContainsAny(scheme, `/\`) {
		factoriesMu.RLock()
		f := factories[scheme]
		factoriesMu.RUnlock()
		if f == nil {
			return nil, fmt.Errorf("secrets %q: no backend for %s:// (known: %s; or give a file or folder path)", location, scheme, strings.Join(Schemes(), ", "))
		}
		u, err := url.Parse(location)
		if err != nil {
			return nil, fmt.Errorf("secrets %q: %w", location, err)
		}
		return f(u)
	}
	info, err := os.Stat(location)
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	if info.IsDir() {
		return OpenDir(location)
	}
	return LoadFile(location)
}

func init() {
	// dir:///run/secrets and file:///etc/sluice/secrets.env, for symmetry
	// with the URLs of other backends.
	Register("dir", func(u *url.URL) (Backend, error) { return OpenDir(u.Path) })
	Register("file", func(u *url.URL) (Backend, error) { return LoadFile(u.Path) })
}
