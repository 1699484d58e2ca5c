package fakeline

import "net/http"

// BotInfo is what GET /v2/bot/info answers: the bot's profile and chat
// settings as the LINE Official Account Manager holds them.
type BotInfo struct {
	DisplayName    string
	BasicID        string
	ChatMode       string // "bot" (chat off) or "chat"
	MarkAsReadMode string
}

// webhookEndpoint is the channel's webhook setting in the LINE Developers
// console.
type webhookEndpoint struct {
	URL    string
	Active bool
}

// SetBotInfo sets the profile that GET /v2/bot/info answers.
func (s *Server) SetBotInfo(b BotInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.botInfo = b
}

// SetWebhookEndpoint sets the console's webhook URL and whether "Use
// webhook" is on; by default there is none.
func (s *Server) SetWebhookEndpoint(url string, active bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhook = webhookEndpoint{URL: url, Active: active}
}

func (s *Server) handleBotInfo(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	b := s.botInfo
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"userId": s.destination, "basicId": b.BasicID, "displayName": b.DisplayName,
		"chatMode": b.ChatMode, "markAsReadMode": b.MarkAsReadMode,
	})
}

func (s *Server) handleWebhookEndpoint(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	e := s.webhook
	s.mu.Unlock()
	if e.URL == "" {
		// The fake answers 404 when no URL was set; doctor reads any
		// failure here as "not set".
		writeError(w, http.StatusNotFound, "Not found")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"endpoint": e.URL, "active": e.Active})
}
