// Package safecsv writes CSV that is safe to open in Excel: UTF-8 with a
// byte-order mark (so Japanese is not shown as mojibake) and cells that
// would start a formula (=, +, -, @, and tab or carriage return) prefixed
// with an apostrophe, so a family's typed words can never run as a formula
// (CSV injection).
package safecsv

import (
	"encoding/csv"
	"io"
)

// BOM is the UTF-8 byte-order mark Excel looks for.
const BOM = "\ufeff"

// Writer is a csv.Writer that escapes formula cells.
type Writer struct {
	w       *csv.Writer
	started bool
	out     io.Writer
}

// NewWriter returns a Writer; the BOM goes out with the first record.
func NewWriter(w io.Writer) *Writer { return &Writer{w: csv.NewWriter(w), out: w} }

// Write writes one record, escaping each cell.
func (w *Writer) Write(rec []string) error {
	if !w.started {
		w.started = true
		if _, err := io.WriteString(w.out, BOM); err != nil {
			return err
		}
	}
	esc := make([]string, len(rec))
	for i, c := range rec {
		esc[i] = Cell(c)
	}
	return w.w.Write(esc)
}

// Flush writes any buffered data.
func (w *Writer) Flush() { w.w.Flush() }

// Error reports any error of a previous Write or Flush.
func (w *Writer) Error() error { return w.w.Error() }

// Cell escapes one cell: a leading =, +, -, @, tab or carriage return gets
// an apostrophe before it, which Excel shows as text and does not display.
func Cell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
