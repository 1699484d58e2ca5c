package flows

import "strings"

// A quick-reply button sends back postback data naming the session, the
// step and the choice's value, so that a tap on an old button (another
// session, a step already answered) is recognised and not taken as an
// answer to the current question. The "t1" prefix versions the format and
// sets our postbacks apart from any other (a rich menu's, say).
const postbackPrefix = "t1"

func encodePostback(sessionID, stepID, value string) string {
	return postbackPrefix + "|" + sessionID + "|" + stepID + "|" + value
}

// ParsePostback splits postback data made by the engine. ok is false for
// data that is not ours. The value comes last, so it may itself contain '|'.
func ParsePostback(data string) (sessionID, stepID, value string, ok bool) {
	parts := strings.SplitN(data, "|", 4)
	if len(parts) != 4 || parts[0] != postbackPrefix || parts[1] == "" || parts[2] == "" {
		return "", "", "", false
	}
	return parts[1], parts[2], parts[3], true
}
