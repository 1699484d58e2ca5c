// Package fakeline is a fake LINE platform for tests. It speaks LINE's real
// wire formats in both directions: the Messaging API that tsunagu calls
// (reply, push, quota), served on an httptest server that the real SDK client
// is pointed at, and signed webhooks like the ones LINE sends to tsunagu.
//
// It keeps LINE's rules that matter to tsunagu's guarantees: a reply token
// works once, a push retry key is accepted once (409 after), a push counts
// against the monthly quota, and failures (5xx, 429) can be injected.
package fakeline

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Paths of the Messaging API endpoints the fake serves.
const (
	PathReply            = "/v2/bot/message/reply"
	PathPush             = "/v2/bot/message/push"
	PathQuota            = "/v2/bot/message/quota"
	PathQuotaConsumption = "/v2/bot/message/quota/consumption"
	PathBotInfo          = "/v2/bot/info"
	PathWebhookEndpoint  = "/v2/bot/channel/webhook/endpoint"
)

// Server is the fake LINE platform. Its URL is the API base to give
// messaging_api.WithEndpoint. All methods are safe for concurrent use.
type Server struct {
	*httptest.Server

	channelToken string // "" accepts any non-empty bearer token
	destination  string // the bot's user id, sent in webhooks

	mu        sync.Mutex
	latency   time.Duration
	requests  map[string]int
	failures  map[string][]failure
	tokens    map[string]*replyToken
	accepted  map[string]acceptedPush // by retry key
	replies   []Reply
	pushes    []Push
	delivered []delivery
	conflicts int
	limit     int64 // monthly push quota; < 0 means none
	lastTS    int64 // of the last event built, to keep events in order
	usage     int64
	botInfo   BotInfo
	webhook   webhookEndpoint

	richMenus       map[string]*RichMenu
	richMenuOrder   []string
	defaultRichMenu string
	userRichMenus   map[string]string // user id → rich menu id
}

// Option configures a Server.
type Option func(*Server)

// WithChannelToken makes the server accept only this channel access token.
// Without it any non-empty bearer token is accepted.
func WithChannelToken(token string) Option {
	return func(s *Server) { s.channelToken = token }
}

// WithDestination sets the bot user id that webhooks carry as destination.
func WithDestination(botUserID string) Option {
	return func(s *Server) { s.destination = botUserID }
}

// New starts a fake LINE platform that is closed when the test ends.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := Start(opts...)
	t.Cleanup(s.Close)
	return s
}

// Start starts a fake LINE platform outside a test (`tsunagu dev` runs one
// in its process); the caller closes it.
func Start(opts ...Option) *Server {
	s := &Server{
		destination: "U" + randomHex(16),
		requests:    map[string]int{},
		failures:    map[string][]failure{},
		tokens:      map[string]*replyToken{},
		accepted:    map[string]acceptedPush{},
		limit:       -1,
		botInfo:     BotInfo{DisplayName: "つなぐ", BasicID: "@tsunagu", ChatMode: "bot", MarkAsReadMode: "auto"},
	}
	for _, o := range opts {
		o(s)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+PathReply, s.handleReply)
	mux.HandleFunc("POST "+PathPush, s.handlePush)
	mux.HandleFunc("GET "+PathQuota, s.handleQuota)
	mux.HandleFunc("GET "+PathQuotaConsumption, s.handleConsumption)
	mux.HandleFunc("GET "+PathBotInfo, s.handleBotInfo)
	mux.HandleFunc("GET "+PathWebhookEndpoint, s.handleWebhookEndpoint)
	s.routeRichMenus(mux)
	s.Server = httptest.NewServer(s.common(mux))
	return s
}

// Destination is the bot user id that webhooks from this server carry.
func (s *Server) Destination() string { return s.destination }

// failure is one injected failure for the next requests to a path.
type failure struct {
	status      int
	retryAfter  time.Duration
	afterAccept bool // the request takes effect, only the response fails
}

// FailNext makes the next n requests to path answer status (with a
// Retry-After header when retryAfter is given) without taking effect, as when
// LINE is overloaded (500) or rate-limits (429).
func (s *Server) FailNext(path string, status, n int, retryAfter ...time.Duration) {
	f := failure{status: status}
	if len(retryAfter) > 0 {
		f.retryAfter = retryAfter[0]
	}
	s.addFailures(path, f, n)
}

// LoseNextResponse makes the next n requests to path take effect (the message
// is delivered, the retry key accepted) but answer 500, as when the response
// is lost on the way back: the case that retry keys exist for.
func (s *Server) LoseNextResponse(path string, n int) {
	s.addFailures(path, failure{status: http.StatusInternalServerError, afterAccept: true}, n)
}

func (s *Server) addFailures(path string, f failure, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failures[path] = append(s.failures[path], f)
	}
}

// SetLatency delays every API response by d, to exercise client timeouts.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// common counts the request, applies latency, checks the channel access
// token and serves injected failures before the endpoint sees the request.
func (s *Server) common(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests[r.URL.Path]++
		latency := s.latency
		var f *failure
		if q := s.failures[r.URL.Path]; len(q) > 0 {
			f, s.failures[r.URL.Path] = &q[0], q[1:]
		}
		s.mu.Unlock()

		if latency > 0 {
			select {
			case <-time.After(latency):
			case <-r.Context().Done():
				return
			}
		}
		if !s.authorized(r) {
			writeError(w, http.StatusUnauthorized, "Authentication failed. Confirm that the access token in the authorization header is valid.")
			return
		}
		if f == nil {
			next.ServeHTTP(w, r)
			return
		}
		if f.afterAccept {
			next.ServeHTTP(discard{http.Header{}}, r)
		}
		if f.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(f.retryAfter.Seconds()))))
		}
		writeError(w, f.status, failureMessage(f.status))
	})
}

func (s *Server) authorized(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return false
	}
	return s.channelToken == "" || tok == s.channelToken
}

// failureMessage is the message LINE sends with an error status.
func failureMessage(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return "Too Many Requests"
	case http.StatusInternalServerError:
		return "Internal Server Error"
	default:
		return http.StatusText(status)
	}
}

// errorBody is LINE's error response.
type errorBody struct {
	Message      string        `json:"message"`
	Details      []errorDetail `json:"details,omitempty"`
	SentMessages []sentMessage `json:"sentMessages,omitempty"`
}

type errorDetail struct {
	Message  string `json:"message"`
	Property string `json:"property"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{Message: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	if w.Header().Get("X-Line-Request-Id") == "" {
		w.Header().Set("X-Line-Request-Id", newUUID())
	}
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		panic(fmt.Sprintf("fakeline: encode response: %v", err))
	}
}

// discard is a ResponseWriter whose body and status go nowhere.
type discard struct{ h http.Header }

func (d discard) Header() http.Header         { return d.h }
func (d discard) Write(p []byte) (int, error) { return len(p), nil }
func (d discard) WriteHeader(int)             {}
