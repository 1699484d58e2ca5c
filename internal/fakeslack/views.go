package fakeslack

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"unicode/utf8"
)

// View is a modal as opened with views.open.
type View struct {
	ID              string
	TriggerID       string
	CallbackID      string
	PrivateMetadata string
	Title           string
	JSON            json.RawMessage // the view object as sent
}

// Text flattens the texts of the view's blocks like BlocksText, with the
// title first.
func (v View) Text() string {
	var m struct {
		Blocks json.RawMessage `json:"blocks"`
	}
	_ = json.Unmarshal(v.JSON, &m)
	return v.Title + "\n" + BlocksText(m.Blocks)
}

// Limits of modals (docs.slack.dev/reference/views/modal-views and
// docs.slack.dev/reference/block-kit/blocks/input-block).
const (
	maxViewBlocks   = 100
	maxViewTitle    = 24
	maxMetadata     = 3000
	maxInputLabel   = 2000
	maxInputLength  = 3000
	maxPlaceholder  = 150
	maxCallbackID   = 255
	maxViewElemText = 2000
)

type modal struct {
	Type            string          `json:"type"`
	Title           *textObj        `json:"title"`
	Submit          *textObj        `json:"submit"`
	Close           *textObj        `json:"close"`
	Blocks          json.RawMessage `json:"blocks"`
	PrivateMetadata string          `json:"private_metadata"`
	CallbackID      string          `json:"callback_id"`
}

type inputBlock struct {
	Type    string        `json:"type"`
	BlockID string        `json:"block_id"`
	Label   *textObj      `json:"label"`
	Hint    *textObj      `json:"hint"`
	Element *inputElement `json:"element"`
}

type inputElement struct {
	Type        string   `json:"type"`
	ActionID    string   `json:"action_id"`
	Placeholder *textObj `json:"placeholder"`
	MaxLength   int      `json:"max_length"`
}

// openView handles views.open, which slack-go sends as JSON.
func (s *Server) openView(w http.ResponseWriter, body []byte) {
	var req struct {
		TriggerID string          `json:"trigger_id"`
		View      json.RawMessage `json:"view"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, "invalid_json")
		return
	}
	if req.TriggerID == "" {
		writeError(w, "invalid_trigger_id")
		return
	}
	var m modal
	if err := json.Unmarshal(req.View, &m); err != nil {
		writeError(w, "invalid_arguments")
		return
	}
	if err := validateModal(m); err != nil {
		writeError(w, "invalid_arguments")
		return
	}
	s.seq++
	v := View{
		ID:              fmt.Sprintf("V%08d", s.seq),
		TriggerID:       req.TriggerID,
		CallbackID:      m.CallbackID,
		PrivateMetadata: m.PrivateMetadata,
		Title:           m.Title.Text,
		JSON:            req.View,
	}
	s.views = append(s.views, v)
	writeJSON(w, map[string]any{"ok": true, "view": map[string]any{
		"id": v.ID, "team_id": TeamID, "type": "modal", "callback_id": v.CallbackID,
		"private_metadata": v.PrivateMetadata, "blocks": json.RawMessage(m.Blocks),
	}})
}

// validateModal returns why Slack would refuse the view, or nil.
func validateModal(m modal) error {
	short := func(t *textObj, n int) bool {
		return t != nil && t.Type == "plain_text" && t.Text != "" && utf8.RuneCountInString(t.Text) <= n
	}
	switch {
	case m.Type != "modal":
		return errors.New("type must be modal")
	case !short(m.Title, maxViewTitle):
		return errors.New("title must be plain_text of 1-24 characters")
	case m.Submit != nil && !short(m.Submit, maxViewTitle), m.Close != nil && !short(m.Close, maxViewTitle):
		return errors.New("submit and close must be plain_text of 1-24 characters")
	case utf8.RuneCountInString(m.PrivateMetadata) > maxMetadata:
		return errors.New("private_metadata longer than 3000 characters")
	case utf8.RuneCountInString(m.CallbackID) > maxCallbackID:
		return errors.New("callback_id longer than 255 characters")
	}
	var blocks []json.RawMessage
	if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
		return err
	}
	if len(blocks) == 0 || len(blocks) > maxViewBlocks {
		return errors.New("a modal needs 1-100 blocks")
	}
	inputs := map[string]bool{}
	for i, raw := range blocks {
		var b inputBlock
		if err := json.Unmarshal(raw, &b); err != nil {
			return err
		}
		if b.Type != "input" {
			if err := validateBlock(mustBlock(raw)); err != nil {
				return fmt.Errorf("block %d: %w", i, err)
			}
			continue
		}
		if err := validateInput(b); err != nil {
			return fmt.Errorf("block %d: %w", i, err)
		}
		if inputs[b.BlockID] {
			return fmt.Errorf("block %d: repeated block_id %q", i, b.BlockID)
		}
		inputs[b.BlockID] = true
	}
	if len(inputs) > 0 && m.Submit == nil {
		return errors.New("a modal with inputs needs a submit button")
	}
	return nil
}

func validateInput(b inputBlock) error {
	tooLong := func(t *textObj, n int) bool { return t != nil && utf8.RuneCountInString(t.Text) > n }
	switch {
	case b.BlockID == "":
		return errors.New("input without block_id: its value could not be read back")
	case b.Label == nil || b.Label.Type != "plain_text" || b.Label.Text == "" || tooLong(b.Label, maxInputLabel):
		return errors.New("input label must be plain_text of 1-2000 characters")
	case tooLong(b.Hint, maxViewElemText):
		return errors.New("hint longer than 2000 characters")
	case b.Element == nil || b.Element.ActionID == "":
		return errors.New("input needs an element with an action_id")
	case tooLong(b.Element.Placeholder, maxPlaceholder):
		return errors.New("placeholder longer than 150 characters")
	case b.Element.MaxLength > maxInputLength:
		return errors.New("max_length above 3000")
	}
	switch b.Element.Type {
	case "plain_text_input", "users_select":
		return nil
	}
	return fmt.Errorf("input element %q not supported by the fake", b.Element.Type)
}

func mustBlock(raw json.RawMessage) block {
	var b block
	_ = json.Unmarshal(raw, &b) // already parsed once as inputBlock
	return b
}

// ViewSubmissionForm returns the form Slack posts when userID submits
// view (as recorded by Views) with values typed or chosen, keyed by the
// action_id of each input: a view_submission payload
// (docs.slack.dev/reference/interaction-payloads/view-interactions-payload)
// whose state holds a plain_text_input's "value" or a users_select's
// "selected_user". Inputs left out are sent as null, as Slack does for an
// empty optional field. A key that names no input of the view panics: the
// test is typing into a field that does not exist.
func ViewSubmissionForm(userID string, view View, values map[string]string) url.Values {
	var m modal
	if err := json.Unmarshal(view.JSON, &m); err != nil {
		panic("fakeslack: view: " + err.Error())
	}
	var blocks []inputBlock
	if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
		panic("fakeslack: view blocks: " + err.Error())
	}
	state := map[string]any{}
	used := map[string]bool{}
	for _, b := range blocks {
		if b.Type != "input" || b.Element == nil {
			continue
		}
		var value any // null unless typed
		if v, ok := values[b.Element.ActionID]; ok {
			value, used[b.Element.ActionID] = v, true
		}
		field := map[string]any{"type": b.Element.Type}
		switch b.Element.Type {
		case "users_select":
			field["selected_user"] = value
		default:
			field["value"] = value
		}
		state[b.BlockID] = map[string]any{b.Element.ActionID: field}
	}
	for k := range values {
		if !used[k] {
			panic("fakeslack: the view has no input " + k)
		}
	}
	payload := map[string]any{
		"type":       "view_submission",
		"api_app_id": "A0TSUNAGU",
		"token":      "verification-token-unused",
		"trigger_id": "1700000000.2.fake",
		"team":       map[string]any{"id": TeamID, "domain": "tsunagu-test"},
		"user":       map[string]any{"id": userID, "username": "supporter", "name": "supporter", "team_id": TeamID},
		"view": map[string]any{
			"id": view.ID, "team_id": TeamID, "type": "modal", "callback_id": m.CallbackID,
			"private_metadata": m.PrivateMetadata, "blocks": json.RawMessage(m.Blocks),
			"title": m.Title, "state": map[string]any{"values": state}, "hash": "1700000000.fakehash",
			"app_id": "A0TSUNAGU", "bot_id": BotID,
		},
		"response_urls": []any{},
	}
	b, err := json.Marshal(payload)
	if err != nil {
		panic("fakeslack: " + err.Error())
	}
	return url.Values{"payload": {string(b)}}
}
