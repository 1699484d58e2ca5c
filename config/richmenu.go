package config

import (
	"errors"
	"fmt"
)

// RichMenu is the menu always shown under the LINE chat: a grid of areas,
// each a label and what a tap does. Roles may have menus of their own,
// linked to members when they enrol.
type RichMenu struct {
	Name  string `yaml:"name"`  // shown in the LINE Official Account Manager
	Bar   string `yaml:"bar"`   // the chat bar's text (at most 14 characters)
	Image string `yaml:"image"` // a PNG or JPEG to use instead of one drawn from the labels
	// Font draws the labels (a .ttf, .otf or .ttc with Japanese glyphs);
	// default: one fontconfig finds (fc-list :lang=ja).
	Font string `yaml:"font"`
	// Columns is how many areas side by side (default 3); the areas fill
	// rows of that many.
	Columns int            `yaml:"columns"`
	Areas   []RichMenuArea `yaml:"areas"`
	// Roles are menus for members of a role (child, guardian), linked to
	// each member on enrolment; the menu above is the default for everyone
	// else.
	Roles map[string]*RichMenu `yaml:"roles"`
}

// RichMenuArea is one tappable area.
type RichMenuArea struct {
	Label   string `yaml:"label"`   // drawn on the image; at most 20 characters
	Flow    string `yaml:"flow"`    // start this flow
	Keyword string `yaml:"keyword"` // send this text, as if typed
	About   bool   `yaml:"about"`   // show "what is this": the programme's explanation
}

func (m *RichMenu) check() error {
	if m == nil {
		return nil
	}
	if err := m.checkOne(); err != nil {
		return err
	}
	for role, rm := range m.Roles {
		if role != "child" && role != "guardian" {
			return fmt.Errorf("roles: %q is not child or guardian", role)
		}
		if len(rm.Roles) > 0 {
			return errors.New("roles: a role's menu has no roles of its own")
		}
		if err := rm.checkOne(); err != nil {
			return fmt.Errorf("roles.%s: %w", role, err)
		}
	}
	return nil
}

func (m *RichMenu) checkOne() error {
	switch n := len(m.Areas); {
	case n == 0:
		return errors.New("areas: at least one area")
	case n > 20:
		return fmt.Errorf("areas: %d areas; LINE allows 20", n)
	}
	if m.Columns < 0 || m.Columns > 6 {
		return fmt.Errorf("columns: %d; use 1 to 6", m.Columns)
	}
	if len([]rune(m.Bar)) > 14 {
		return fmt.Errorf("bar: %q is longer than 14 characters", m.Bar)
	}
	for i, a := range m.Areas {
		actions := 0
		for _, set := range []bool{a.Flow != "", a.Keyword != "", a.About} {
			if set {
				actions++
			}
		}
		switch {
		case a.Label == "":
			return fmt.Errorf("areas[%d]: a label is required", i)
		case len([]rune(a.Label)) > 20:
			return fmt.Errorf("areas[%d]: label %q is longer than 20 characters", i, a.Label)
		case actions != 1:
			return fmt.Errorf("areas[%d] (%s): say exactly one of flow, keyword or about", i, a.Label)
		}
	}
	return nil
}
