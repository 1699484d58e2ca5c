package flows

// RiskWordsIn are built-in risk words in languages other than Japanese,
// watched in every message beside DefaultRiskWords. Phrases, not single
// words: matching ignores spaces and word boundaries, so "die" would also
// find "diet". Other languages come from configuration
// (`languages: {pt: {risk_words: […]}}`).
var RiskWordsIn = map[string][]string{
	"en": {
		"want to die", "wanna die", "kill myself", "killing myself", "end my life", "suicide", "suicidal",
		"hurt myself", "hurting myself", "cut myself", "cutting myself", "self harm", "self-harm",
		"don't want to live", "dont want to live", "better off dead",
		"hits me", "hit me", "beats me", "beat me", "kicks me", "abuse", "abusing me",
		"don't want to go home", "dont want to go home", "scared to go home", "afraid to go home",
		"help me",
	},
}

// ProgrammeRisk is the one risk scanner of a programme: the Japanese list
// (the built-in one, or ja when configured), the built-in lists of other
// languages, and the configured words of each language. Every list is
// watched in every message, whatever language the member reads.
func ProgrammeRisk(ja []string, byLang map[string][]string) *RiskScanner {
	if len(ja) == 0 {
		ja = DefaultRiskWords
	}
	words := append([]string(nil), ja...)
	for _, ws := range RiskWordsIn {
		words = append(words, ws...)
	}
	for _, ws := range byLang {
		words = append(words, ws...)
	}
	return NewRiskScanner(words)
}
