// Package parity reads the scenarios that prove `tsunagu simulate` shows
// what `tsunagu serve` does: the same scripts are played through both
// (cmd/tsunagu) and their outcomes kept as golden files (flows).
package parity

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Scenario is one scripted conversation.
type Scenario struct {
	Name    string
	Flow    string // the flow started; with Decline, the sign-up entered by enrolling
	Script  string // answers in the simulator's language: numbers tap buttons, :wait, :send
	Alerts  int    // at least this many alerts, so the scenario is what it says
	Decline bool   // the member declines the sign-up consent
}

// Load reads scenarios, one a line: name ; flow ; script ; alerts [; decline].
// Lines starting with # are comments.
func Load(path string) ([]Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Scenario
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, " ; ")
		if len(cols) < 4 {
			return nil, fmt.Errorf("%s:%d: want name ; flow ; script ; alerts", path, n)
		}
		alerts, err := strconv.Atoi(cols[3])
		if err != nil {
			return nil, fmt.Errorf("%s:%d: alerts: %w", path, n, err)
		}
		out = append(out, Scenario{Name: cols[0], Flow: cols[1], Script: cols[2], Alerts: alerts,
			Decline: len(cols) > 4 && cols[4] == "decline"})
	}
	return out, sc.Err()
}
