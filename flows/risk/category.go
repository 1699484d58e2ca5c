// Package risk decides whether a message from a child or a guardian needs a
// supporter now: a wish to die, self-harm, abuse, neglect, nowhere to go,
// bullying. It reads Japanese through a morphological analyser (kagome with
// the IPA dictionary), so rules match base forms and parts of speech in any
// conjugation, and keeps a second layer of surface phrases for what the
// analyser cannot see (slang, romaji, deliberate misspellings).
//
// It is a net, not a diagnosis: supporters still read every free text.
// docs/risk.md has the approach, the limits and the measured recall.
package risk

// Category is what a match is about, so a supporter knows what they face
// before opening the alert and the safety reply can fit it.
type Category string

// The categories. The ids are stable (configuration and the corpus use
// them); Label is what families and supporters read.
const (
	Suicidal      Category = "suicidal"       // 希死念慮
	SelfHarm      Category = "self_harm"      // 自傷
	PhysicalAbuse Category = "physical_abuse" // 身体的虐待
	SexualAbuse   Category = "sexual_abuse"   // 性的虐待
	Neglect       Category = "neglect"        // ネグレクト
	Runaway       Category = "runaway"        // 居場所・家出
	Bullying      Category = "bullying"       // いじめ
	// Other is a programme's own word with no category, and a plain call
	// for help (助けて).
	Other Category = "other"
)

// Categories lists every category, in the order reports print them.
var Categories = []Category{Suicidal, SelfHarm, PhysicalAbuse, SexualAbuse, Neglect, Runaway, Bullying, Other}

var labels = map[Category]string{
	Suicidal:      "希死念慮",
	SelfHarm:      "自傷",
	PhysicalAbuse: "身体的虐待",
	SexualAbuse:   "性的虐待",
	Neglect:       "ネグレクト",
	Runaway:       "居場所・家出",
	Bullying:      "いじめ",
	Other:         "気になることば",
}

// Label is the category's Japanese name, as shown in Slack.
func (c Category) Label() string {
	if l, ok := labels[c]; ok {
		return l
	}
	return string(c)
}

// Valid reports whether c is one of Categories.
func (c Category) Valid() bool {
	_, ok := labels[c]
	return ok
}

// ParseCategory reads a category id or its Japanese label.
func ParseCategory(s string) (Category, bool) {
	for _, c := range Categories {
		if s == string(c) || s == labels[c] {
			return c, true
		}
	}
	return "", false
}
