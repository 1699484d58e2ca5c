package flows

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Parse reads one flow from src, which came from filename. It returns every
// problem it finds, and a nil Flow when any of them is an error.
func Parse(filename string, src []byte, opt Options) (*Flow, Diagnostics) {
	r := &reporter{file: filename, en: opt.english()}
	f := r.parse(src)
	r.ds.sort()
	if f == nil || r.ds.HasErrors() {
		return nil, r.ds
	}
	sum := sha256.Sum256(src)
	f.Hash = hex.EncodeToString(sum[:])
	f.File = filename
	return f, r.ds
}

func (r *reporter) parse(src []byte) *Flow {
	if !r.checkShape(src) || !r.checkFullWidth(src) {
		return nil
	}
	file, err := parser.ParseBytes(src, 0)
	if err != nil {
		r.syntaxError(err)
		return nil
	}
	var docs []ast.Node
	for _, d := range file.Docs {
		if d.Body != nil {
			docs = append(docs, d.Body)
		}
	}
	switch {
	case len(docs) == 0:
		r.errorf(pos{1, 1}, hint("ファイルが空です。examples/flows/ のファイルをコピーして始めると簡単です。",
			"The file is empty; copying a file from examples/flows/ is an easy start."),
			"empty flow file")
		return nil
	case len(docs) > 1:
		r.errorf(posOf(docs[1]), hint("1つのファイルには1つのフローだけを書きます。`---` から後ろは別のファイルに分けてください。",
			"Write one flow per file: move what follows `---` to a file of its own."),
			"more than one flow in the file")
	}
	sf := decoder{r}.flow(docs[0])
	if sf == nil {
		return nil
	}
	f := r.build(sf)
	f.idAt = sf.id.at
	return f
}

// syntaxError reports what the YAML parser stopped at. The parser stops at
// its first error, so this is the only diagnostic of such a file.
func (r *reporter) syntaxError(err error) {
	at, msg := pos{1, 1}, err.Error()
	var ye yaml.Error
	if errors.As(err, &ye) {
		msg = ye.GetMessage()
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			at = pos{tk.Position.Line, tk.Position.Column}
		}
	}
	h := hint("YAMLとして読めません。字下げ（行頭のスペースの数）がそろっているか、`key: value` の `:` の後にスペースがあるか、\"…\" を閉じ忘れていないかを確かめてください。",
		"This is not valid YAML. Check that indentation lines up, that each `key:` is followed by a space, and that every \"…\" is closed.")
	switch {
	case strings.Contains(msg, "\t"):
		msg = strings.ReplaceAll(msg, "\t", `\t`)
		h = hint("タブ文字は使えません。字下げはスペースでしてください。", "Tabs are not allowed in YAML: indent with spaces.")
	case strings.Contains(msg, "already defined"):
		h = hint("同じキーが2回書かれています。どちらか1つにしてください。", "The same key appears twice: keep one.")
	}
	r.errorf(at, h, "syntax: %s", msg)
}

// LoadPaths loads the flows in the given files and directories (the *.yaml
// and *.yml files directly inside, in name order). It returns the flows that
// loaded and every problem in any file; two files with the same flow id are
// an error. A file with errors contributes no flow.
func LoadPaths(opt Options, paths ...string) ([]*Flow, Diagnostics) {
	var (
		flows []*Flow
		all   Diagnostics
		byID  = map[string]*Flow{}
	)
	files, ds := flowFiles(paths)
	all = append(all, ds...)
	for _, name := range files {
		src, err := readFlowFile(name)
		if err != nil {
			all = append(all, fileError(name, readError(err)))
			continue
		}
		f, ds := Parse(name, src, opt)
		all = append(all, ds...)
		if f == nil {
			continue
		}
		if first, dup := byID[f.ID]; dup {
			r := &reporter{file: name, en: opt.english()}
			r.errorf(f.idAt, hint("フローの `id` はフローごとに別の名前にします（%s と同じ）。",
				"Each flow needs its own `id` (same as %s).", first.File),
				"flow id %q is also used by %s", f.ID, first.File)
			all = append(all, r.ds...)
			continue
		}
		byID[f.ID] = f
		flows = append(flows, f)
	}
	return flows, all
}

// readFlowFile reads at most one byte more than MaxFileSize, which is
// enough for Parse to refuse a larger file without reading all of it.
func readFlowFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, MaxFileSize+1))
}

// flowFiles expands directories to the flow files directly inside them.
func flowFiles(paths []string) ([]string, Diagnostics) {
	var files []string
	var ds Diagnostics
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			ds = append(ds, fileError(p, readError(err)))
			continue
		}
		if !info.IsDir() {
			files = append(files, p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			ds = append(ds, fileError(p, readError(err)))
			continue
		}
		var found []string
		for _, e := range entries {
			ext := strings.ToLower(filepath.Ext(e.Name()))
			if !e.IsDir() && (ext == ".yaml" || ext == ".yml") {
				found = append(found, filepath.Join(p, e.Name()))
			}
		}
		if len(found) == 0 {
			ds = append(ds, fileError(p, "no flow files (*.yaml, *.yml) in this directory"))
		}
		slices.Sort(found)
		files = append(files, found...)
	}
	return files, ds
}

// readError is err without the path, which the diagnostic already names.
func readError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return "cannot read: " + err.Error()
}

// fileError is a problem with a whole file, which has no line to point at.
func fileError(name, msg string) Diagnostic {
	return Diagnostic{File: name, Severity: SevError, Message: msg}
}
