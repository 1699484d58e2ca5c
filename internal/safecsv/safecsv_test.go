package safecsv

import (
	"strings"
	"testing"
)

func TestWriter(t *testing.T) {
	var b strings.Builder
	w := NewWriter(&b)
	w.Write([]string{"code", "value"})
	w.Write([]string{"F-0001", "=HYPERLINK(\"http://x\")"})
	w.Write([]string{"+81", "-1", "@SUM(A1)", "宇和島", "3"})
	w.Flush()
	want := "\ufeffcode,value\nF-0001,\"'=HYPERLINK(\"\"http://x\"\")\"\n'+81,'-1,'@SUM(A1),宇和島,3\n"
	if b.String() != want {
		t.Errorf("got %q\nwant %q", b.String(), want)
	}
}
