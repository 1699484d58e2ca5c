package flows

import (
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// This file reads goccy/go-yaml's AST by hand rather than decoding into
// structs, so that every value keeps its line and column and one pass can
// report every mistake instead of stopping at the first.

// posOf is where n starts. A block mapping's own token is its first ':', so
// it is located by its first key instead.
func posOf(n ast.Node) pos {
	if m, ok := n.(*ast.MappingNode); ok && !m.IsFlowStyle && len(m.Values) > 0 {
		return posOf(m.Values[0].Key)
	}
	if n == nil || n.GetToken() == nil {
		return pos{1, 1}
	}
	p := n.GetToken().Position
	return pos{p.Line, p.Column}
}

// unwrap looks through anchors and tags to the value they decorate.
func unwrap(n ast.Node) ast.Node {
	for {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.TagNode:
			n = v.Value
		default:
			return n
		}
	}
}

// isNull reports whether n is absent or an explicit null (`key:` with
// nothing after it).
func isNull(n ast.Node) bool {
	if n == nil {
		return true
	}
	_, ok := unwrap(n).(*ast.NullNode)
	return ok
}

// scalarText returns the text of a scalar of any type, so that `say: 10` or
// a choice `- 1` read as the strings a coordinator typed.
func scalarText(n ast.Node) (string, bool) {
	switch v := unwrap(n).(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		return v.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return v.GetToken().Value, true
	}
	return "", false
}

// number returns the value of an integer or float scalar.
func number(n ast.Node) (float64, bool) {
	switch v := unwrap(n).(type) {
	case *ast.IntegerNode:
		f, err := strconv.ParseFloat(strings.ReplaceAll(v.GetToken().Value, "_", ""), 64)
		if err != nil { // hex and octal forms
			switch i := v.Value.(type) {
			case int64:
				return float64(i), true
			case uint64:
				return float64(i), true
			}
			return 0, false
		}
		return f, true
	case *ast.FloatNode:
		return v.Value, true
	}
	return 0, false
}

// valueOffset is how far into the YAML token the value's text starts: one
// for a quoted string, none for a plain one. ok is false when the token's
// columns do not map to the value's (block scalars, multi-line values).
func valueOffset(n ast.Node) (offset int, ok bool) {
	tk := unwrap(n).GetToken()
	if tk == nil || strings.Contains(tk.Value, "\n") {
		return 0, false
	}
	switch tk.Type {
	case token.DoubleQuoteType, token.SingleQuoteType:
		return 1, true
	case token.StringType:
		return 0, true
	}
	return 0, false
}

// field is one key of a YAML mapping.
type field struct {
	key    string
	keyPos pos
	value  ast.Node
}

// mapping is a YAML mapping read as fields, keeping where it starts and the
// keys that were not allowed (already reported).
type mapping struct {
	at      pos
	fields  map[string]field
	unknown []string
}

func (m mapping) get(key string) (field, bool) {
	f, ok := m.fields[key]
	return f, ok && !isNull(f.value)
}

// kindName names what n is for "expected X, found Y" messages: a scalar by
// its text, anything else by its shape.
func kindName(n ast.Node) string {
	if s, ok := scalarText(n); ok {
		return strconv.Quote(truncate(s, 20))
	}
	switch unwrap(n).(type) {
	case *ast.MappingNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.NullNode, nil:
		return "nothing"
	case *ast.AliasNode:
		return "an alias"
	}
	return "something else"
}
