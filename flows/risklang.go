package flows

import "github.com/tsunagu/tsunagu/flows/risk"

// Risk detection in languages other than Japanese composes with package
// flows/risk through its configuration: a language's words are risk.Words
// added to the one detector (every message is checked against every
// language: a Japanese speaker may write in English), and its safety
// replies are a risk.Safety in Safety.Langs, picked by the member's
// language (Safety.In). English is built in; other languages come from
// configuration (`languages: {pt: {risk_words, safety_message…}}`).

// RiskWordsIn are built-in risk words in languages other than Japanese.
// Phrases rather than single words, chosen against false alarms.
var RiskWordsIn = map[string][]risk.Word{
	"en": {
		{Text: "want to die", Category: risk.Suicidal}, {Text: "wanna die", Category: risk.Suicidal},
		{Text: "kill myself", Category: risk.Suicidal}, {Text: "end my life", Category: risk.Suicidal},
		{Text: "suicide", Category: risk.Suicidal}, {Text: "suicidal", Category: risk.Suicidal},
		{Text: "better off dead", Category: risk.Suicidal},
		{Text: "hurt myself", Category: risk.SelfHarm}, {Text: "cut myself", Category: risk.SelfHarm},
		{Text: "self harm", Category: risk.SelfHarm},
		{Text: "hits me", Category: risk.PhysicalAbuse}, {Text: "beats me", Category: risk.PhysicalAbuse},
		{Text: "kicks me", Category: risk.PhysicalAbuse},
		{Text: "don't want to go home", Category: risk.Runaway}, {Text: "scared to go home", Category: risk.Runaway},
		{Text: "help me", Category: risk.Other},
	},
}

// SafetyIn are the built-in safety replies in languages other than
// Japanese, for children and for guardians. Confirm the numbers with your
// programme before going live.
var SafetyIn = map[string]risk.Safety{
	"en": {
		Child: map[string]string{"default": "Thank you for telling us.\n" +
			"You are not alone. We have told your supporter, and they will contact you soon.\n\n" +
			"If you are in danger right now, call 110 (police) or 119 (ambulance).\n" +
			"TELL Lifeline (in English): 03-5774-0992"},
		Guardian: map[string]string{"default": "Thank you for telling us.\n" +
			"We have told your supporter, and they will contact you soon.\n\n" +
			"If anyone is in danger right now, call 110 (police) or 119 (ambulance).\n" +
			"TELL Lifeline (in English): 03-5774-0992\n" +
			"Child guidance centre (児童相談所): 189"},
	},
}
