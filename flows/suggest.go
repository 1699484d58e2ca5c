package flows

import "strings"

// closest returns the candidate nearest to word when it is near enough to
// be a typo (`chioces` → `choices`, `nxet` → `next`) or a longer form of it
// (`maximum` → `max`), else "".
func closest(word string, candidates []string) string {
	if s := nearest(word, candidates); s != "" {
		return s
	}
	for _, c := range candidates {
		if len(c) >= 3 && strings.HasPrefix(word, c) {
			return c
		}
	}
	return ""
}

func nearest(word string, candidates []string) string {
	best, bestDist := "", 0
	for _, c := range candidates {
		d := editDistance(word, c)
		if best == "" || d < bestDist {
			best, bestDist = c, d
		}
	}
	// One edit in a short word, a third of the length in a long one: enough
	// for `max_lenght` to find `max_length`, too little to "correct" `label`
	// to `value`.
	limit := max(1, len([]rune(word))/3)
	if best == "" || bestDist > limit {
		return ""
	}
	return best
}

// editDistance is the optimal-string-alignment distance: insertions,
// deletions, substitutions and swaps of neighbours each cost one, because a
// swap (`chioces`) is the commonest slip on a keyboard.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
