package risk

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestDump prints how the analyser reads the lines of $RISK_DUMP, for
// writing rules: RISK_DUMP=file go test -run TestDump -v ./flows/risk
func TestDump(t *testing.T) {
	f := os.Getenv("RISK_DUMP")
	if f == "" {
		t.Skip("set RISK_DUMP to a file of messages")
	}
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	tk, _ := loadAnalyser()
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if _, text, ok := strings.Cut(line, "\t"); ok {
			line = text
		}
		var b strings.Builder
		for _, tok := range analyse(tk, fold(line)) {
			if tok.brk {
				b.WriteString("|")
				continue
			}
			fmt.Fprintf(&b, "<%s/%s/%s-%s>", tok.base, tok.surface, tok.pos1, tok.pos2)
		}
		fmt.Println(line, "\n   ", b.String())
	}
}
