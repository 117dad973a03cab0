// Package secrets resolves the values of {{ secret('NAME') }}: from the
// environment, from a secrets file, from a folder with one file per secret
// (as Kubernetes and Docker mount them), or from any Backend registered for
// a URL scheme (a HashiCorp Vault or cloud secret manager client).
// docs/secrets.md is the user's page.
//
// Every value resolved is registered with a mask.Masker first, so it is
// hidden in every log, error, output and stored record from then on.
package secrets

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/sluicehq/sluice/internal/mask"
)

// Backend is a source of secret values. Implementations must be safe for
// concurrent use.
type Backend interface {
	// Lookup returns the value of the secret name; ok is false when this
	// backend does not hold it (then the next backend is asked). err is for
	// a backend that could not answer (unreachable, permission denied).
	Lookup(ctx context.Context, name string) (value string, ok bool, err error)
	// Where says where this backend looks for name, for the error shown
	// when no backend holds it: "environment variable SLUICE_SECRET_X".
	Where(name string) string
}

// namePattern is what a secret name may be: it becomes part of an
// environment variable and of a file name, so nothing that could climb out
// of a folder.
var namePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)

// ValidName reports whether name can name a secret.
func ValidName(name string) bool {
	return namePattern.MatchString(name) && !strings.Contains(name, "..")
}

// MissingError is returned for a secret no backend holds.
type MissingError struct {
	Name  string
	Where []string
}

func (e *MissingError) Error() string {
	if len(e.Where) == 0 {
		return fmt.Sprintf("secret %q is not set: no secret source is configured (set SLUICE_SECRET_%s or pass --secrets)", e.Name, EnvName(e.Name))
	}
	return fmt.Sprintf("secret %q is not set; looked in %s", e.Name, strings.Join(e.Where, ", "))
}

// ErrMissing is matched by errors.Is for a *MissingError.
var ErrMissing = errors.New("secret not set")

// Is makes errors.Is(err, ErrMissing) true.
func (e *MissingError) Is(target error) bool { return target == ErrMissing }

// Resolver looks secrets up in its backends in order, first hit wins, and
// registers every value with its masker before returning it. Values are
// cached for the life of the resolver: one execution sees one value.
type Resolver struct {
	backends []Backend
	masker   *mask.Masker
	mu       sync.Mutex
	cache    map[string]string
}

// NewResolver returns a resolver over backends that registers values with
// m (which must not be nil: an unmasked secret is never handed out).
func NewResolver(m *mask.Masker, backends ...Backend) *Resolver {
	return &Resolver{backends: backends, masker: m, cache: map[string]string{}}
}

// Masker is the masker values are registered with.
func (r *Resolver) Masker() *mask.Masker { return r.masker }

// Get returns the value of the secret name.
func (r *Resolver) Get(ctx context.Context, name string) (string, error) {
	if !ValidName(name) {
		return "", fmt.Errorf("%q is not a valid secret name (letters, digits, '_', '-' and '.', starting with a letter or '_')", name)
	}
	r.mu.Lock()
	v, ok := r.cache[name]
	r.mu.Unlock()
	if ok {
		return v, nil
	}
	var where []string
	for _, b := range r.backends {
		v, ok, err := b.Lookup(ctx, name)
		if err != nil {
			return "", r.masker.Error(fmt.Errorf("secret %q: %s: %w", name, b.Where(name), err))
		}
		if ok {
			r.masker.Add(v)
			r.mu.Lock()
			r.cache[name] = v
			r.mu.Unlock()
			return v, nil
		}
		where = append(where, b.Where(name))
	}
	return "", &MissingError{Name: name, Where: where}
}
