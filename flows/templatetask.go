package flows

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/sluicehq/sluice/flows/plugin"
)

// Template runs the tasks of a reusable template (Kestra 0.4's
// flows.Template) in order, as if they were written in its place: the
// flow's taskDefaults apply to them, their ids share the flow's, and
// {{ parent.outputs.args.NAME }} reads the args given here.
//
// A template is a YAML file with id, namespace, tasks and optionally
// description and errors, in a folder named templates/ beside the flow or
// in any folder above it (nearest first). It is read when the flow is
// decoded, so `sluice validate` checks it with the flow.
type Template struct {
	Namespace  string            `yaml:"namespace" required:"true" template:"false" doc:"Namespace of the template."`
	TemplateID string            `yaml:"templateId" required:"true" template:"false" doc:"Id of the template."`
	Args       map[string]string `yaml:"args" doc:"Named values (templates allowed) the template's tasks read as {{ parent.outputs.args.NAME }}."`
	// Tasks are the template's tasks, decoded with the flow.
	Tasks []*plugin.TaskDef `yaml:"-"`
}

// ChildTasks is the template's tasks.
func (t *Template) ChildTasks() [][]*plugin.TaskDef { return [][]*plugin.TaskDef{t.Tasks} }

// Plan runs the tasks in order; outputs args (rendered).
func (t *Template) Plan(context.Context, *plugin.RunContext) (*plugin.Plan, error) {
	p := sequentialPlan(t.Tasks)
	args := make(map[string]any, len(t.Args))
	for k, v := range t.Args {
		args[k] = v
	}
	p.Outputs = plugin.Outputs{"args": args}
	return p, nil
}

func init() {
	registerFlowable("core.Template", "Run the tasks of a reusable template (templates/*.yml) in place.",
		[]string{"io.kestra.core.tasks.flows.Template"},
		[]plugin.Output{{Name: "args", Doc: "The rendered args."}},
		func() any { return &Template{} })
}

var templateKeys = []string{"id", "namespace", "description", "tasks", "errors"}

// maxTemplateDepth stops templates that use each other in a cycle.
const maxTemplateDepth = 10

// expandTemplate decodes the tasks of the template t refers to into it,
// with this flow's task ids and taskDefaults; the template's errors branch
// joins the task's own.
func (d *decoder) expandTemplate(t *plugin.TaskDef, tp *Template, n *yaml.Node) {
	if d.templateDepth >= maxTemplateDepth {
		d.errorf(n, t.ID, "templateId", "templates nested more than %d deep (a template using itself?)", maxTemplateDepth)
		return
	}
	if !d.onDisk {
		d.errorf(n, t.ID, "templateId", "templates are read only for flow files (sluice run or validate FILE, templates/ beside it); this flow was given as text")
		return
	}
	path, err := findTemplate(d.file, tp.Namespace, tp.TemplateID)
	if err != nil {
		d.errorf(n, t.ID, "templateId", "%v", err)
		return
	}
	src, err := os.ReadFile(path)
	if err != nil {
		d.errorf(n, t.ID, "templateId", "%v", err)
		return
	}
	sub := &decoder{file: path, reg: d.reg, ids: d.ids, defaults: d.defaults, templateDepth: d.templateDepth + 1, onDisk: true}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		d.errorf(n, t.ID, "templateId", "template %s.%s (%s) is not a YAML mapping with id, namespace and tasks", tp.Namespace, tp.TemplateID, path)
		return
	}
	sub.includes(&doc)
	root := doc.Content[0]
	var tasksNode *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "id", "namespace", "description":
		case "tasks":
			tasksNode = v
			tp.Tasks = sub.tasks(v, "tasks")
		case "errors":
			t.Errors = append(t.Errors, sub.tasks(v, "errors")...)
		default:
			sub.unknownKey(k, "", "template", templateKeys)
		}
	}
	if tasksNode == nil || len(tp.Tasks) == 0 && len(sub.errs) == 0 {
		sub.errorf(root, "", "tasks", "a template needs at least one task")
	}
	d.errs = append(d.errs, sub.errs...)
	d.warns = append(d.warns, sub.warns...)
}

// findTemplate looks for the template file in templates/ beside the flow
// file and in every folder above it, nearest first.
func findTemplate(flowFile, namespace, id string) (string, error) {
	dir, err := filepath.Abs(filepath.Dir(flowFile))
	if err != nil {
		return "", err
	}
	var looked []string
	for {
		tdir := filepath.Join(dir, "templates")
		if st, err := os.Stat(tdir); err == nil && st.IsDir() {
			looked = append(looked, tdir)
			var found string
			walkErr := walkFlowFiles(tdir, func(p string, b []byte) {
				var head struct {
					ID        string `yaml:"id"`
					Namespace string `yaml:"namespace"`
				}
				if found == "" && yaml.Unmarshal(b, &head) == nil && head.ID == id && head.Namespace == namespace {
					found = p
				}
			})
			if walkErr != nil {
				return "", walkErr
			}
			if found != "" {
				return found, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	if len(looked) == 0 {
		return "", fmt.Errorf("template %s.%s not found: no templates/ folder beside the flow or above it", namespace, id)
	}
	return "", fmt.Errorf("template %s.%s not found in %v", namespace, id, looked)
}
