package template

// Template nodes.

type node interface{}

type textNode struct{ text string }

type printNode struct{ x expr }

type ifNode struct {
	conds  []expr
	bodies [][]node
	els    []node // nil when there is no else branch
}

type forNode struct {
	pos      int
	key, val string // key is "" for {% for x in list %}
	x        expr
	body     []node
	els      []node
}

type setNode struct {
	pos  int
	name string
	x    expr
}

// Expression nodes. pos and end are byte offsets of the expression's first
// character and one past its last in the template source.

type expr interface {
	eval(s *state) (any, error)
	span() (int, int)
}

type spanned struct{ pos, end int }

func (b *spanned) span() (int, int) { return b.pos, b.end }

type litExpr struct {
	spanned
	v any
}

type listExpr struct {
	spanned
	items []expr
}

type mapExpr struct {
	spanned
	keys, vals []expr
}

type varExpr struct {
	spanned
	name string
}

type keyKind uint8

const (
	keyName  keyKind = iota // .name or ['literal']
	keyIndex                // [3] or .3
	keyExpr                 // [any other expression]
)

// attrExpr reads one step of a path: x.name, x['key'], x[0] or x[expr].
type attrExpr struct {
	spanned
	x    expr
	kind keyKind
	name string
	idx  int64
	key  expr
	dot  bool // written as .name (for messages)
}

type callExpr struct {
	spanned
	name string
	def  *funcDef
	args []expr // one per parameter (nil when not given), or all positional for variadic functions
}

type filterExpr struct {
	spanned
	x       expr
	name    string
	namePos int
	def     *filterDef
	args    []expr
}

type testExpr struct {
	spanned
	x      expr
	name   string
	negate bool
	fn     func(v any) (bool, error) // nil for "defined"
}

type unaryExpr struct {
	spanned
	op string
	x  expr
}

type binaryExpr struct {
	spanned
	op   string
	l, r expr
}

type condExpr struct {
	spanned
	c, a, b expr
}

// coalesceExpr is a ?? b (b when a is undefined or null) and a ??? b (b only
// when a is undefined).
type coalesceExpr struct {
	spanned
	l, r          expr
	undefinedOnly bool
}
