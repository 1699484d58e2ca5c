package tsunagu

import (
	"crypto/rand"
	"strings"
)

// inviteAlphabet leaves out characters that are easy to misread or mistype:
// 0/O, 1/I/L.
const inviteAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// NewInviteCode draws a random invite code such as "K7QM-XR4P": 8
// characters (about 40 bits), shown in two groups of four.
func NewInviteCode() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand panics instead)
	var sb strings.Builder
	for i, c := range b {
		if i == 4 {
			sb.WriteByte('-')
		}
		sb.WriteByte(inviteAlphabet[int(c)%len(inviteAlphabet)])
	}
	return sb.String()
}

// FindInviteCodes returns the invite codes a member's message may contain,
// in canonical form. Full-width letters and digits, lower case and a missing
// or different dash are all accepted, because people retype codes on phones.
func FindInviteCodes(text string) []string {
	var norm []rune
	for _, r := range text {
		if r >= 0xFF01 && r <= 0xFF5E { // full-width ASCII
			r -= 0xFEE0
		}
		if r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		norm = append(norm, r)
	}
	isCode := func(r rune) bool { return strings.ContainsRune(inviteAlphabet, r) }
	isDash := func(r rune) bool { return r == '-' || r == 'ー' || r == '−' || r == '‐' || r == ' ' }
	var codes []string
	for i := 0; i < len(norm); i++ {
		if i > 0 && isCode(norm[i-1]) {
			continue // a code starts at a word boundary
		}
		var c []rune
		j := i
		for j < len(norm) && len(c) < 8 {
			switch {
			case isCode(norm[j]):
				c = append(c, norm[j])
			case len(c) == 4 && isDash(norm[j]):
			default:
				j = len(norm) + 1 // stop
				continue
			}
			j++
		}
		if len(c) == 8 && (j >= len(norm) || !isCode(norm[j])) {
			codes = append(codes, string(c[:4])+"-"+string(c[4:]))
		}
	}
	return codes
}
