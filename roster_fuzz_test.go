package tsunagu

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
)

// FuzzParseRoster: any bytes as roster.csv (what `tsunagu families import`
// reads). The parser must not panic; it returns either families that all
// hold to the rules (valid, unique codes; tags without spaces, each once;
// a Slack user id or no supporter) or problems, each one line of the form
// "roster.csv:LINE: reason", and then no families.
func FuzzParseRoster(f *testing.F) {
	for _, s := range []string{
		"code,tags,supporter\nF-0001,uwajima;school-a,U012AB3CD\nF-0002,,\n\nF-0003,uwajima;uwajima,\n",
		"\ufeffcode,tags,supporter\r\nF-0001,,\r\n",
		"tags,code\nx,F-1\n",
		"code\nF-0001\nF-0001\n",
		"code,name\nF-0001,山田太郎\n",
		"code,tags,supporter\nf-0001,a b,someone\n",
		"code,tags,supporter\n\"F-0001\nF-0002\",,\n",
		"code,tags,supporter\nF-0001,\"a;b\",U1,extra\n",
		"code,tags,supporter\n\"unterminated\n",
		"",
		"\n\n\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fams, err := ParseRoster("roster.csv", bytes.NewReader(data))
		if err != nil {
			if fams != nil {
				t.Fatalf("problems and %d families", len(fams))
			}
			var re *RosterError
			if !errors.As(err, &re) {
				return // an I/O error: not from a bytes.Reader, but allowed
			}
			if len(re.Problems) == 0 {
				t.Fatal("a RosterError with no problems")
			}
			for _, p := range re.Problems {
				if !strings.HasPrefix(p, "roster.csv:") || strings.Contains(p, "\n") {
					t.Fatalf("problem not one line named by file and line: %q", p)
				}
			}
			return
		}
		seen := map[string]bool{}
		for _, fam := range fams {
			if !ValidFamilyCode(fam.Code) || seen[fam.Code] {
				t.Fatalf("family %q accepted (invalid or repeated)", fam.Code)
			}
			seen[fam.Code] = true
			for i, tag := range fam.Tags {
				if !tagRE.MatchString(tag) || slices.Contains(fam.Tags[:i], tag) {
					t.Fatalf("tag %q accepted (invalid or repeated)", tag)
				}
			}
			if fam.Supporter != "" && !slackUserRE.MatchString(fam.Supporter) {
				t.Fatalf("supporter %q accepted", fam.Supporter)
			}
		}
	})
}
