package flows

import (
	"fmt"
	"strconv"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Limits bound what decoding a flow may cost, so that `sluice validate` on
// a pull request's flow and the server accepting flows over HTTP cannot be
// taken down by a small file. docs/limits.md lists them with the way to
// change them.
type Limits struct {
	// FlowBytes is the largest flow source accepted.
	FlowBytes int
	// Aliases is the most YAML aliases (*name) a flow may use.
	Aliases int
	// ExpandedBytes is the most a flow may weigh once its aliases are
	// expanded: the bytes of its scalars plus expandedNodeBytes a node.
	ExpandedBytes int
}

// DefaultLimits are far above any real flow and far below what hurts.
var DefaultLimits = Limits{
	FlowBytes:     8 << 20,
	Aliases:       1000,
	ExpandedBytes: 16 << 20,
}

// expandedNodeBytes is what one YAML node counts against ExpandedBytes:
// about what it costs once decoded into Go values.
const expandedNodeBytes = 32

// Identifiers are bounded by what internal storage accepts: each is a path
// component (255 bytes on every file system) of URIs that object stores
// cap at 1024 bytes in all.
const (
	maxIDLen        = 100 // flow, task, trigger ids and input names
	maxNamespaceLen = 150
)

var limits = DefaultLimits

// SetLimits replaces the decoding limits; zero fields take their default.
// Call it at start-up, before decoding.
func SetLimits(l Limits) {
	if l.FlowBytes <= 0 {
		l.FlowBytes = DefaultLimits.FlowBytes
	}
	if l.Aliases <= 0 {
		l.Aliases = DefaultLimits.Aliases
	}
	if l.ExpandedBytes <= 0 {
		l.ExpandedBytes = DefaultLimits.ExpandedBytes
	}
	limits = l
}

// CurrentLimits returns the decoding limits in force.
func CurrentLimits() Limits { return limits }

// aliasError is a YAML alias limit exceeded at a node.
type aliasError struct {
	node *yaml.Node
	msg  string
}

// checkAliases measures the document as if its aliases were expanded,
// without expanding them: each node's expanded size is computed once and
// reused by every alias of it, so the check costs the size of the source.
// It fails at the alias that passes a limit, and at an alias that contains
// itself.
func checkAliases(doc *yaml.Node) *aliasError {
	c := &aliasCheck{sizes: map[*yaml.Node]int{}}
	if _, err := c.size(doc); err != nil {
		return err
	}
	return nil
}

type aliasCheck struct {
	sizes   map[*yaml.Node]int // of anchored nodes; -1 while being measured
	aliases int
}

func (c *aliasCheck) size(n *yaml.Node) (int, *aliasError) {
	if n == nil {
		return 0, nil
	}
	if n.Kind == yaml.AliasNode {
		if c.aliases++; c.aliases > limits.Aliases {
			return 0, &aliasError{n, fmt.Sprintf("more than %d YAML aliases (see docs/limits.md to raise the limit)", limits.Aliases)}
		}
		s, err := c.size(n.Alias)
		if err != nil {
			return 0, err
		}
		if s < 0 {
			return 0, &aliasError{n, fmt.Sprintf("YAML alias *%s contains itself", cut(n.Value))}
		}
		return s, nil
	}
	// Only anchored nodes can be reached twice: they alone are remembered.
	if n.Anchor != "" {
		if s, ok := c.sizes[n]; ok {
			return s, nil
		}
		c.sizes[n] = -1
	}
	total := expandedNodeBytes + len(n.Value)
	for _, child := range n.Content {
		s, err := c.size(child)
		if err != nil {
			return 0, err
		}
		if total += s; total > limits.ExpandedBytes {
			return 0, &aliasError{child, fmt.Sprintf("YAML aliases expand the flow past %s (see docs/limits.md to raise the limit)", byteSize(limits.ExpandedBytes))}
		}
	}
	if n.Anchor != "" {
		c.sizes[n] = total
	}
	return total, nil
}

func byteSize(n int) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// maxQuoted is how many characters of a value an error message quotes.
const maxQuoted = 64

// cut shortens s for a message: its first maxQuoted characters, then how
// long it was.
func cut(s string) string {
	if utf8.RuneCountInString(s) <= maxQuoted {
		return s
	}
	n := 0
	for i := range s {
		if n == maxQuoted {
			return s[:i] + fmt.Sprintf("… (%d bytes)", len(s))
		}
		n++
	}
	return s
}

// quote is strconv.Quote of a value cut for a message.
func quote(s string) string {
	if utf8.RuneCountInString(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	c := cut(s)
	i := len(c) - len(fmt.Sprintf("… (%d bytes)", len(s)))
	return strconv.Quote(c[:i]) + c[i:]
}

// checkLen reports an identifier longer than max characters.
func (d *decoder) checkLen(n *yaml.Node, task, prop, what, s string, max int) bool {
	if utf8.RuneCountInString(s) > max {
		d.errorf(n, task, prop, "%s %s is longer than %d characters", what, quote(s), max)
		return false
	}
	return true
}
