package fakeslack

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// BlocksText flattens every text in blocks — header and section text,
// fields, context elements, button labels — one per line in document order,
// so tests can assert content without caring about the layout.
func BlocksText(blocks json.RawMessage) string {
	var out []string
	// Malformed JSON yields the texts read before the error; the fake
	// never stores such blocks, so that only matters for hand-made input.
	_ = collectText(json.NewDecoder(bytes.NewReader(blocks)), "", &out)
	return strings.Join(out, "\n")
}

// collectText reads one JSON value from dec and appends the strings held
// under a "text" key. Streaming keeps the document order that a map would
// lose.
func collectText(dec *json.Decoder, key string, out *[]string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch v := tok.(type) {
	case json.Delim:
		for dec.More() {
			k := ""
			if v == '{' {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				k, _ = kt.(string)
			}
			if err := collectText(dec, k, out); err != nil {
				return err
			}
		}
		_, err = dec.Token() // the closing delimiter
		return err
	case string:
		if key == "text" {
			*out = append(*out, v)
		}
	}
	return nil
}

// Limits Slack enforces on Block Kit (docs.slack.dev/reference/block-kit),
// checked here so that a message too big for Slack fails in tests too.
const (
	maxBlocks       = 50
	maxSectionText  = 3000
	maxFields       = 10
	maxFieldText    = 2000
	maxHeaderText   = 150
	maxContextElems = 10
	maxActionElems  = 25
	maxButtonText   = 75
	maxButtonValue  = 2000
	maxIDLen        = 255
)

type block struct {
	Type     string    `json:"type"`
	BlockID  string    `json:"block_id"`
	Text     *textObj  `json:"text"`
	Fields   []textObj `json:"fields"`
	Elements []element `json:"elements"`
}

type textObj struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type element struct {
	Type     string          `json:"type"`
	Text     json.RawMessage `json:"text"` // a string in context elements, an object in buttons
	ActionID string          `json:"action_id"`
	Value    string          `json:"value"`
}

// validateBlocks returns why Slack would answer invalid_blocks, or nil.
func validateBlocks(raw []byte) error {
	var blocks []block
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return err
	}
	if len(blocks) > maxBlocks {
		return fmt.Errorf("%d blocks, at most %d", len(blocks), maxBlocks)
	}
	blockIDs := map[string]bool{}
	for i, b := range blocks {
		if b.BlockID != "" {
			if blockIDs[b.BlockID] || utf8.RuneCountInString(b.BlockID) > maxIDLen {
				return fmt.Errorf("block %d: bad or repeated block_id", i)
			}
			blockIDs[b.BlockID] = true
		}
		if err := validateBlock(b); err != nil {
			return fmt.Errorf("block %d (%s): %w", i, b.Type, err)
		}
	}
	return nil
}

func validateBlock(b block) error {
	tooLong := func(s string, n int) bool { return utf8.RuneCountInString(s) > n }
	switch b.Type {
	case "header":
		if b.Text == nil || b.Text.Type != "plain_text" || b.Text.Text == "" || tooLong(b.Text.Text, maxHeaderText) {
			return errors.New("header needs plain_text of 1-150 characters")
		}
	case "section":
		if b.Text == nil && len(b.Fields) == 0 {
			return errors.New("section needs text or fields")
		}
		if b.Text != nil && (b.Text.Text == "" || tooLong(b.Text.Text, maxSectionText)) {
			return errors.New("section text must be 1-3000 characters")
		}
		if len(b.Fields) > maxFields {
			return errors.New("more than 10 fields")
		}
		for _, f := range b.Fields {
			if f.Text == "" || tooLong(f.Text, maxFieldText) {
				return errors.New("field text must be 1-2000 characters")
			}
		}
	case "context":
		if len(b.Elements) == 0 || len(b.Elements) > maxContextElems {
			return errors.New("context needs 1-10 elements")
		}
	case "actions":
		if len(b.Elements) == 0 || len(b.Elements) > maxActionElems {
			return errors.New("actions needs 1-25 elements")
		}
		ids := map[string]bool{}
		for _, e := range b.Elements {
			if e.ActionID != "" && (ids[e.ActionID] || tooLong(e.ActionID, maxIDLen)) {
				return errors.New("bad or repeated action_id")
			}
			ids[e.ActionID] = true
			if e.Type != "button" {
				continue
			}
			var t textObj
			if err := json.Unmarshal(e.Text, &t); err != nil || t.Type != "plain_text" || t.Text == "" || tooLong(t.Text, maxButtonText) {
				return errors.New("button text must be plain_text of 1-75 characters")
			}
			if tooLong(e.Value, maxButtonValue) {
				return errors.New("button value longer than 2000 characters")
			}
		}
	case "":
		return errors.New("missing type")
	}
	return nil
}

// ValidateBlocks returns why Slack would refuse blocks (a JSON array) with
// invalid_blocks, or nil: for blocks that reach Slack without passing the
// fake, such as a slash command's response.
func ValidateBlocks(blocks json.RawMessage) error { return validateBlocks(blocks) }
