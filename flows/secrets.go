package flows

import (
	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/flows/template"
)

// SecretUse is one secret('NAME') call in a flow.
type SecretUse struct {
	Name     string
	Pos      plugin.Pos
	TaskID   string
	Property string
}

// noteSecrets records the secrets a template reads, at their position in
// the file.
func (v *refChecker) noteSecrets(tpl *template.Template, prop string, pos plugin.Pos) {
	for _, s := range tpl.Secrets() {
		v.f.Secrets = append(v.f.Secrets, SecretUse{Name: s.Name, Pos: shift(pos, s.Line, s.Col), TaskID: v.task.ID, Property: prop})
	}
}

// CheckSecrets asks lookup for every secret the flow reads and returns one
// error per missing secret, at the place it is read: a flow whose secret is
// not set fails before anything runs. lookup's error says where the secret
// was looked for.
func (f *Flow) CheckSecrets(lookup func(name string) error) Errors {
	var errs Errors
	failed := map[string]error{}
	for _, s := range f.Secrets {
		err, seen := failed[s.Name]
		if !seen {
			err = lookup(s.Name)
			failed[s.Name] = err
		}
		if err != nil {
			errs = append(errs, &Error{Pos: s.Pos, TaskID: s.TaskID, Property: s.Property, Msg: err.Error()})
		}
	}
	return errs
}
