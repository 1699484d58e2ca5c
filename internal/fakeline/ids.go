package fakeline

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// The ids below have the shapes LINE uses, so that code which stores or logs
// them meets realistic values.

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return b
}

func randomHex(n int) string { return hex.EncodeToString(randomBytes(n)) }

func newUUID() string { return uuid.NewString() }

// NewUserID returns a LINE-shaped user id: "U" and 32 hex digits.
func NewUserID() string { return "U" + randomHex(16) }

// newMessageID is a decimal id like LINE's message ids.
func newMessageID() string {
	return strconv.FormatUint(binary.BigEndian.Uint64(randomBytes(8))%1e18, 10)
}

func newQuoteToken() string { return base64.RawURLEncoding.EncodeToString(randomBytes(48)) }

// crockford is the base32 alphabet of ULIDs.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// newEventID returns a ULID (time-ordered, 26 characters), the shape of
// LINE's webhookEventId.
func newEventID(t time.Time) string {
	var b [26]byte
	ms := uint64(t.UnixMilli())
	for i := 9; i >= 0; i-- {
		b[i] = crockford[ms&31]
		ms >>= 5
	}
	for i, r := range randomBytes(16) {
		b[10+i] = crockford[r&31]
	}
	return string(b[:])
}
