package tsunagu

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// Pseudonyms turns LINE user ids into member ids: the pseudonym in keys,
// logs and everywhere but the member record. With a key (configuration
// `hash_key`) it is HMAC-SHA256, which nobody holding a LINE user id can
// recompute without the key; without one it is the legacy UserHash, kept
// so that deployments that started without a key keep their members (see
// README, "Personal data").
type Pseudonyms struct{ key []byte }

// NewPseudonyms returns the pseudonyms for a key; an empty key means the
// legacy, unkeyed hash.
func NewPseudonyms(key []byte) Pseudonyms { return Pseudonyms{key: append([]byte(nil), key...)} }

// Keyed reports whether a secret key is in use.
func (p Pseudonyms) Keyed() bool { return len(p.key) > 0 }

// UserHash is the member id of a LINE user id.
func (p Pseudonyms) UserHash(lineUserID string) string {
	if !p.Keyed() {
		return UserHash(lineUserID)
	}
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte("tsunagu:line-user:" + lineUserID))
	return hex.EncodeToString(m.Sum(nil)[:8])
}

// Fingerprint names the key without revealing it, so that a process with a
// different key (or none) can tell that member ids in Redis are not its
// own: "legacy" for the unkeyed hash.
func (p Pseudonyms) Fingerprint() string {
	if !p.Keyed() {
		return "legacy"
	}
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte("tsunagu:pseudonym-fingerprint"))
	return hex.EncodeToString(m.Sum(nil)[:6])
}
