package flows

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Kestra 0.4 reads every string of a flow through Handlebars with [[ ]]
// delimiters and the flow's folder as partial loader, so that
// `format: "[[> query.sql]]"` holds the file's content. sluice does the
// same for the partial, the one form Kestra's flows use: [[> PATH]] is
// replaced by the file at PATH, relative to the flow's folder; included
// files may include others (their paths also relative to the flow's folder,
// as Handlebars' file loader has it). Other [[ ]] text is left as it is.
var includePattern = regexp.MustCompile(`\[\[>\s*([^\]\s]+)\s*\]\]`)

// maxIncludeDepth stops a file that includes itself.
const maxIncludeDepth = 10

// includes replaces [[> PATH]] in every string scalar under n.
func (d *decoder) includes(n *yaml.Node) {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!str" && strings.Contains(n.Value, "[[>") {
			if !d.onDisk {
				if m := includePattern.FindString(n.Value); m != "" {
					d.errorf(n, "", "", "%s: includes are read only for flow files (sluice run or validate FILE); this flow was given as text", m)
				}
				return
			}
			n.Value = d.include(n, filepath.Dir(d.file), n.Value, 0)
		}
	case yaml.DocumentNode, yaml.SequenceNode, yaml.MappingNode:
		for _, c := range n.Content {
			d.includes(c)
		}
	}
}

func (d *decoder) include(n *yaml.Node, dir, s string, depth int) string {
	return includePattern.ReplaceAllStringFunc(s, func(m string) string {
		rel := includePattern.FindStringSubmatch(m)[1]
		path := rel
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, rel)
		}
		if depth >= maxIncludeDepth {
			d.errorf(n, "", "", "[[> %s]]: includes nested more than %d deep (a file including itself?)", rel, maxIncludeDepth)
			return m
		}
		b, err := os.ReadFile(path)
		if err != nil {
			if os.IsNotExist(err) {
				d.errorf(n, "", "", "[[> %s]]: file not found at %s (paths are relative to the flow's folder)", rel, path)
			} else {
				d.errorf(n, "", "", "[[> %s]]: %v", rel, err)
			}
			return m
		}
		return d.include(n, dir, string(b), depth+1)
	})
}
