package risk

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// ParseWord reads a word as written in configuration and flow files:
// "つらすぎ" (category other) or "suicidal: つらすぎ" / "希死念慮：つらすぎ".
// A prefix that is not a category is part of the word.
func ParseWord(s string) Word {
	if c, rest, ok := cutCategory(s); ok {
		return Word{Text: rest, Category: c}
	}
	return Word{Text: strings.TrimSpace(s), Category: Other}
}

// ParsePattern reads a pattern as written in configuration and flow files:
// "bullying: 先生 に ... 殴る れる|られる" (category first), or a pattern
// alone (category other). An unknown category is an error.
func ParsePattern(s string) (Pattern, error) {
	if c, rest, ok := cutCategory(s); ok {
		return Pattern{Pattern: rest, Category: c}, nil
	}
	if head, _, found := cutColon(s); found && !strings.ContainsAny(head, " |.*?@") {
		return Pattern{}, fmt.Errorf("%q: unknown category %q (use one of %s)", s, head, categoryList())
	}
	return Pattern{Pattern: strings.TrimSpace(s), Category: Other}, nil
}

func cutCategory(s string) (Category, string, bool) {
	head, rest, found := cutColon(s)
	if !found {
		return "", "", false
	}
	c, ok := ParseCategory(head)
	return c, strings.TrimSpace(rest), ok
}

func cutColon(s string) (string, string, bool) {
	i := strings.IndexAny(s, ":：")
	if i < 0 {
		return "", "", false
	}
	_, size := utf8.DecodeRuneInString(s[i:])
	return strings.TrimSpace(s[:i]), s[i+size:], true
}
