package tsunagu

import (
	"errors"
	"fmt"
	"time"
)

// Error codes that the HTTP and CLI layers turn into status codes and
// friendly messages.
const (
	ECONFLICT    = "conflict"
	EINVALID     = "invalid"
	ENOTFOUND    = "not_found"
	EUNAVAILABLE = "unavailable"
	EINTERNAL    = "internal"
)

// Error is a domain error with a code and a message that is safe to show a
// user. The chain behind it is for operators.
type Error struct {
	Code    string
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-safe message of err.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrReplyTokenInvalid is returned by Messenger.Reply when LINE no longer
// accepts the token; the caller falls back to Push.
var ErrReplyTokenInvalid = errors.New("reply token invalid or expired")

// SendError is a failed delivery to LINE or Slack. Retry says whether trying
// again can help (429 and 5xx, network errors); RetryAfter is the wait the
// service asked for, if any.
type SendError struct {
	Op         string
	Status     int
	Retry      bool
	RetryAfter time.Duration
	Err        error
}

func (e *SendError) Error() string {
	return fmt.Sprintf("%s: status %d: %v", e.Op, e.Status, e.Err)
}

func (e *SendError) Unwrap() error { return e.Err }

// Retryable reports whether err is worth retrying, and after how long the
// service asked to wait (zero when it did not say).
func Retryable(err error) (bool, time.Duration) {
	var se *SendError
	if errors.As(err, &se) {
		return se.Retry, se.RetryAfter
	}
	return true, 0 // unknown errors (network, context) are transient
}
