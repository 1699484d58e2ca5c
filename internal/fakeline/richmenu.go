package fakeline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	_ "image/jpeg" // rich menu images may be JPEG
	_ "image/png"
	"io"
	"net/http"
	"unicode/utf8"
)

// Rich menus, as the Messaging API keeps them: created from a rich menu
// object, given one image (once), set as the default for everyone or
// linked to one user. The rules the real API enforces on the way are
// kept: sizes, at most 20 areas inside the menu, a chat bar text of at most
// 14 characters, an image of the menu's size (PNG or JPEG, at most 1 MB),
// and no default without an image.

// RichMenu is a rich menu held by the fake, in the API's wire format.
type RichMenu struct {
	RichMenuID  string         `json:"richMenuId"`
	Size        RichMenuSize   `json:"size"`
	Selected    bool           `json:"selected"`
	Name        string         `json:"name"`
	ChatBarText string         `json:"chatBarText"`
	Areas       []RichMenuArea `json:"areas"`

	image       []byte
	contentType string
}

// RichMenuSize is a rich menu's size in pixels.
type RichMenuSize struct {
	Width  int `json:"width"`
	Height int `json:"height"`
}

// RichMenuArea is one tappable area and its action.
type RichMenuArea struct {
	Bounds struct {
		X      int `json:"x"`
		Y      int `json:"y"`
		Width  int `json:"width"`
		Height int `json:"height"`
	} `json:"bounds"`
	Action RichMenuAction `json:"action"`
}

// RichMenuAction is an area's action: message (Text) or postback (Data,
// DisplayText), the two tsunagu uses; others are kept as given.
type RichMenuAction struct {
	Type        string `json:"type"`
	Label       string `json:"label,omitempty"`
	Text        string `json:"text,omitempty"`
	Data        string `json:"data,omitempty"`
	DisplayText string `json:"displayText,omitempty"`
}

const maxRichMenuImage = 1 << 20

func (s *Server) routeRichMenus(mux *http.ServeMux) {
	mux.HandleFunc("POST /v2/bot/richmenu", s.handleCreateRichMenu)
	mux.HandleFunc("GET /v2/bot/richmenu/list", s.handleRichMenuList)
	mux.HandleFunc("GET /v2/bot/richmenu/{id}", s.handleGetRichMenu)
	mux.HandleFunc("DELETE /v2/bot/richmenu/{id}", s.handleDeleteRichMenu)
	mux.HandleFunc("POST /v2/bot/richmenu/{id}/content", s.handleRichMenuImage)
	mux.HandleFunc("GET /v2/bot/richmenu/{id}/content", s.handleGetRichMenuImage)
	mux.HandleFunc("POST /v2/bot/user/all/richmenu/{id}", s.handleSetDefaultRichMenu)
	mux.HandleFunc("GET /v2/bot/user/all/richmenu", s.handleGetDefaultRichMenu)
	mux.HandleFunc("DELETE /v2/bot/user/all/richmenu", s.handleClearDefaultRichMenu)
	mux.HandleFunc("POST /v2/bot/user/{user}/richmenu/{id}", s.handleLinkRichMenu)
	mux.HandleFunc("GET /v2/bot/user/{user}/richmenu", s.handleGetUserRichMenu)
}

func (s *Server) handleCreateRichMenu(w http.ResponseWriter, r *http.Request) {
	var m RichMenu
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&m); err != nil {
		writeError(w, http.StatusBadRequest, "The request body has 1 error(s)")
		return
	}
	if msg := checkRichMenu(&m); msg != "" {
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	s.mu.Lock()
	if s.richMenus == nil {
		s.richMenus = map[string]*RichMenu{}
	}
	m.RichMenuID = "richmenu-" + randomHex(16)
	s.richMenus[m.RichMenuID] = &m
	s.richMenuOrder = append(s.richMenuOrder, m.RichMenuID)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"richMenuId": m.RichMenuID})
}

// checkRichMenu says what the real API would refuse in m, or "".
func checkRichMenu(m *RichMenu) string {
	sz := m.Size
	switch {
	case sz.Width < 800 || sz.Width > 2500 || sz.Height < 250 || float64(sz.Width)/float64(sz.Height) < 1.45:
		return "invalid size: width 800-2500, height at least 250, width/height at least 1.45"
	case m.Name == "" || utf8.RuneCountInString(m.Name) > 300:
		return "name: required, at most 300 characters"
	case m.ChatBarText == "" || utf8.RuneCountInString(m.ChatBarText) > 14:
		return "chatBarText: required, at most 14 characters"
	case len(m.Areas) == 0 || len(m.Areas) > 20:
		return "areas: 1 to 20 areas"
	}
	for i, a := range m.Areas {
		b := a.Bounds
		if b.X < 0 || b.Y < 0 || b.Width <= 0 || b.Height <= 0 || b.X+b.Width > sz.Width || b.Y+b.Height > sz.Height {
			return fmt.Sprintf("areas[%d].bounds: outside the rich menu", i)
		}
		switch act := a.Action; act.Type {
		case "message":
			if act.Text == "" || utf8.RuneCountInString(act.Text) > 300 {
				return fmt.Sprintf("areas[%d].action.text: 1 to 300 characters", i)
			}
		case "postback":
			if act.Data == "" || utf8.RuneCountInString(act.Data) > 300 {
				return fmt.Sprintf("areas[%d].action.data: 1 to 300 characters", i)
			}
		case "uri", "datetimepicker", "richmenuswitch", "camera", "cameraRoll", "location":
		default:
			return fmt.Sprintf("areas[%d].action.type: unknown %q", i, act.Type)
		}
	}
	return ""
}

func (s *Server) richMenu(w http.ResponseWriter, id string) (*RichMenu, bool) {
	m, ok := s.richMenus[id]
	if !ok {
		writeError(w, http.StatusNotFound, "Not found")
	}
	return m, ok
}

func (s *Server) handleRichMenuImage(w http.ResponseWriter, r *http.Request) {
	ct := r.Header.Get("Content-Type")
	if ct != "image/png" && ct != "image/jpeg" {
		writeError(w, http.StatusUnsupportedMediaType, "Unsupported content type; use image/png or image/jpeg")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRichMenuImage+1))
	if err != nil || len(body) > maxRichMenuImage {
		writeError(w, http.StatusRequestEntityTooLarge, "The image is larger than 1 MB")
		return
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(body))
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.richMenu(w, r.PathValue("id"))
	switch {
	case !ok:
	case m.image != nil:
		writeError(w, http.StatusBadRequest, "An image has already been uploaded to the richmenu")
	case err != nil || cfg.Width != m.Size.Width || cfg.Height != m.Size.Height:
		writeError(w, http.StatusBadRequest, "The image's size does not match the rich menu's")
	default:
		m.image, m.contentType = body, ct
		writeJSON(w, http.StatusOK, struct{}{})
	}
}

func (s *Server) handleGetRichMenuImage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.richMenu(w, r.PathValue("id")); ok {
		if m.image == nil {
			writeError(w, http.StatusNotFound, "Not found")
			return
		}
		w.Header().Set("Content-Type", m.contentType)
		_, _ = w.Write(m.image)
	}
}

func (s *Server) handleGetRichMenu(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.richMenu(w, r.PathValue("id")); ok {
		writeJSON(w, http.StatusOK, m)
	}
}

func (s *Server) handleRichMenuList(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := []*RichMenu{}
	for _, id := range s.richMenuOrder {
		list = append(list, s.richMenus[id])
	}
	writeJSON(w, http.StatusOK, map[string]any{"richmenus": list})
}

func (s *Server) handleDeleteRichMenu(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := r.PathValue("id")
	if _, ok := s.richMenu(w, id); !ok {
		return
	}
	delete(s.richMenus, id)
	for i, o := range s.richMenuOrder {
		if o == id {
			s.richMenuOrder = append(s.richMenuOrder[:i:i], s.richMenuOrder[i+1:]...)
			break
		}
	}
	if s.defaultRichMenu == id {
		s.defaultRichMenu = ""
	}
	for u, linked := range s.userRichMenus {
		if linked == id {
			delete(s.userRichMenus, u)
		}
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

func (s *Server) handleSetDefaultRichMenu(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.richMenu(w, r.PathValue("id"))
	switch {
	case !ok:
	case m.image == nil:
		writeError(w, http.StatusBadRequest, "must upload richmenu image before applying it to user")
	default:
		s.defaultRichMenu = m.RichMenuID
		writeJSON(w, http.StatusOK, struct{}{})
	}
}

func (s *Server) handleGetDefaultRichMenu(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.defaultRichMenu == "" {
		writeError(w, http.StatusNotFound, "no default richmenu")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"richMenuId": s.defaultRichMenu})
}

func (s *Server) handleClearDefaultRichMenu(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	s.defaultRichMenu = ""
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, struct{}{})
}

func (s *Server) handleLinkRichMenu(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.richMenu(w, r.PathValue("id"))
	switch {
	case !ok:
	case m.image == nil:
		writeError(w, http.StatusBadRequest, "must upload richmenu image before applying it to user")
	default:
		if s.userRichMenus == nil {
			s.userRichMenus = map[string]string{}
		}
		s.userRichMenus[r.PathValue("user")] = m.RichMenuID
		writeJSON(w, http.StatusOK, struct{}{})
	}
}

func (s *Server) handleGetUserRichMenu(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.userRichMenus[r.PathValue("user")]
	if !ok {
		writeError(w, http.StatusNotFound, "the user has no richmenu")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"richMenuId": id})
}

// RichMenus are the rich menus that exist, in the order they were made.
func (s *Server) RichMenus() []RichMenu {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]RichMenu, 0, len(s.richMenuOrder))
	for _, id := range s.richMenuOrder {
		out = append(out, *s.richMenus[id])
	}
	return out
}

// DefaultRichMenu is the id of the default rich menu, "" for none.
func (s *Server) DefaultRichMenu() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.defaultRichMenu
}

// UserRichMenu is the id of the rich menu linked to user, "" for none.
func (s *Server) UserRichMenu(user string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.userRichMenus[user]
}

// RichMenuImage is the image uploaded to rich menu id, nil for none.
func (s *Server) RichMenuImage(id string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.richMenus[id]; m != nil {
		return m.image
	}
	return nil
}
