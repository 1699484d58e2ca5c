package fakeslack

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// File is a file shared with files.completeUploadExternal, as slack-go's
// UploadFileContext sends it in three steps: files.getUploadURLExternal
// (filename, length), a multipart POST of the bytes (field "file") to the
// upload_url answered, and files.completeUploadExternal (files JSON
// [{"id","title"}], channel_id, initial_comment, thread_ts).
type File struct {
	ID, Name, Title string
	Channel         string
	ThreadTS        string
	InitialComment  string
	Content         []byte
}

// upload is a file between its URL being given out and being shared.
type upload struct {
	name    string
	length  int
	content []byte
	done    bool
}

// Files returns the files shared in channel, in order.
func (s *Server) Files(channel string) []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []File
	for _, f := range s.files {
		if f.Channel == channel {
			f.Content = append([]byte(nil), f.Content...)
			out = append(out, f)
		}
	}
	return out
}

func (s *Server) getUploadURL(w http.ResponseWriter, r *http.Request) {
	name := r.PostForm.Get("filename")
	n, err := strconv.Atoi(r.PostForm.Get("length"))
	if name == "" || err != nil || n <= 0 {
		writeError(w, "invalid_arguments")
		return
	}
	s.seq++
	id := fmt.Sprintf("F%08d", s.seq)
	if s.uploads == nil {
		s.uploads = map[string]*upload{}
	}
	s.uploads[id] = &upload{name: name, length: n}
	writeJSON(w, map[string]any{"ok": true, "upload_url": s.srv.URL + "/upload/" + id, "file_id": id})
}

// receive takes the bytes posted to an upload URL; Slack answers 200 with
// a line of text ("OK - SIZE").
func (s *Server) receive(w http.ResponseWriter, r *http.Request, id string) {
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer "+Token) {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	f, _, err := r.FormFile("file")
	if err != nil {
		http.Error(w, "no file", http.StatusBadRequest)
		return
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 64<<20))
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["upload"]++
	u := s.uploads[id]
	if u == nil {
		http.NotFound(w, r)
		return
	}
	u.content = b
	fmt.Fprintf(w, "OK - %d", len(b))
}

func (s *Server) completeUpload(w http.ResponseWriter, r *http.Request) {
	var files []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal([]byte(r.PostForm.Get("files")), &files); err != nil || len(files) == 0 {
		writeError(w, "invalid_arguments")
		return
	}
	channel := r.PostForm.Get("channel_id")
	if channel != "" && !s.channels[channel] {
		writeError(w, "channel_not_found")
		return
	}
	var out []map[string]string
	for _, f := range files {
		u := s.uploads[f.ID]
		if u == nil || u.content == nil || u.done {
			writeError(w, "file_not_found")
			return
		}
		if len(u.content) != u.length {
			writeError(w, "file_size_mismatch")
			return
		}
		u.done = true
		s.files = append(s.files, File{ID: f.ID, Name: u.name, Title: f.Title, Channel: channel,
			ThreadTS: r.PostForm.Get("thread_ts"), InitialComment: r.PostForm.Get("initial_comment"), Content: u.content})
		out = append(out, map[string]string{"id": f.ID, "title": f.Title})
	}
	writeJSON(w, map[string]any{"ok": true, "files": out})
}
