package flows

import "bytes"

// Limits on a flow file, checked before it is parsed: the YAML parser's
// time and memory grow much faster than the file on deeply nested input
// (a 200 KB file of nested brackets took 81 s and 15 GB), and nothing a
// coordinator writes comes near these. The examples are under 4 KB and 6
// levels deep.
const (
	MaxFileSize = 64 << 10
	MaxDepth    = 24
)

// checkShape reports a file too large or too deeply nested to parse, at
// the line and column where it crosses the limit, and says whether it may
// be parsed.
func (r *reporter) checkShape(src []byte) bool {
	if len(src) > MaxFileSize {
		r.errorf(posAt(src, MaxFileSize), hint("ファイルが大きすぎます（%d KB まで）。フローを分けてください。",
			"The file is too large (at most %d KB): split the flow.", MaxFileSize>>10),
			"flow file larger than %d KB", MaxFileSize>>10)
		return false
	}
	if at := tooDeep(src, MaxDepth); at >= 0 {
		r.errorf(posAt(src, at), hint("入れ子が深すぎます（%d 段まで）。字下げや [ ] { } の重なりを浅くしてください。",
			"Nesting is too deep (at most %d levels): flatten the indentation or the [ ] { } brackets.", MaxDepth),
			"nesting deeper than %d levels", MaxDepth)
		return false
	}
	return true
}

// tooDeep returns the offset at which src nests deeper than limit, or -1.
// It is a conservative lexical estimate, linear in the file: the levels of
// block indentation (each "- " that opens a nested sequence counts as one)
// plus the open flow brackets [ and {, skipping comments and quoted
// strings. It never parses.
func tooDeep(src []byte, limit int) int {
	var indents []int // the block indentation levels open above this line
	flow := 0         // open [ and { (they may span lines)
	for off := 0; off < len(src); {
		end := bytes.IndexByte(src[off:], '\n')
		if end < 0 {
			end = len(src)
		} else {
			end += off
		}
		line := src[off:end]
		indent := 0
		for indent < len(line) && line[indent] == ' ' {
			indent++
		}
		rest := line[indent:]
		if flow == 0 && len(rest) > 0 && rest[0] != '#' {
			for len(indents) > 0 && indents[len(indents)-1] >= indent {
				indents = indents[:len(indents)-1]
			}
			indents = append(indents, indent)
			// "- - - x" opens a sequence per dash on one line.
			for col := indent; bytes.HasPrefix(line[col:], []byte("- ")); {
				col += 2
				for col < len(line) && line[col] == ' ' {
					col++
				}
				indents = append(indents, col)
				if len(indents) > limit {
					return off + col
				}
			}
			if len(indents) > limit {
				return off + indent
			}
		}
		var at int
		if flow, at = scanFlow(line, flow, len(indents), limit); at >= 0 {
			return off + at
		}
		off = end + 1
	}
	return -1
}

// scanFlow counts the flow brackets of one line on top of depth block
// levels; it returns the open brackets after it, and the offset in line at
// which depth+brackets first exceeds limit (-1 if never).
func scanFlow(line []byte, open, depth, limit int) (int, int) {
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote == '"' && c == '\\':
			i++ // an escaped character
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '#' && (i == 0 || line[i-1] == ' '):
			return open, -1 // a comment to the end of the line
		case (c == '"' || c == '\'') && (i == 0 || bytes.IndexByte([]byte(" [{,:-"), line[i-1]) >= 0):
			quote = c
		case c == '[' || c == '{':
			open++
			if depth+open > limit {
				return open, i
			}
		case (c == ']' || c == '}') && open > 0:
			open--
		}
	}
	return open, -1
}

// posAt is the line and column (in characters) of byte offset off.
func posAt(src []byte, off int) pos {
	off = min(off, len(src))
	line := 1 + bytes.Count(src[:off], []byte("\n"))
	start := bytes.LastIndexByte(src[:off], '\n') + 1
	return pos{line, 1 + len([]rune(string(src[start:off])))}
}
