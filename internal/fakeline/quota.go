package fakeline

import "net/http"

// SetQuota sets the monthly push limit (the free plan's is 200); a negative
// limit means none, which is the default. Pushes past the limit get 429.
func (s *Server) SetQuota(limit int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limit = limit
}

// SetUsage sets how many push messages count as already sent this month.
func (s *Server) SetUsage(n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.usage = n
}

// Usage is how many push messages count as sent this month.
func (s *Server) Usage() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.usage
}

func (s *Server) handleQuota(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	limit := s.limit
	s.mu.Unlock()
	if limit < 0 {
		writeJSON(w, http.StatusOK, map[string]any{"type": "none"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"type": "limited", "value": limit})
}

func (s *Server) handleConsumption(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"totalUsage": s.Usage()})
}
