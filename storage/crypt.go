package storage

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/tsunagu/tsunagu"
)

// sealedPrefix starts every encrypted value: "enc1:" + key id + ":" +
// base64(nonce || AES-256-GCM ciphertext). The key id names the key it was
// sealed with, so old values stay readable while `tsunagu rekey` moves
// them to the current key.
const sealedPrefix = "enc1:"

// Keyring holds the key free text is encrypted with and the previous keys
// still accepted for reading.
type Keyring struct {
	current string                 // id of the key new values are sealed with
	aeads   map[string]cipher.AEAD // every key, by id
}

// ParseKeyring reads the current key and any previous ones, each base64 of
// 32 bytes; previous is separated by commas or spaces. An empty current key
// is no keyring (nil): free text is stored in clear.
func ParseKeyring(current, previous string) (*Keyring, error) {
	if strings.TrimSpace(current) == "" {
		if strings.TrimSpace(previous) != "" {
			return nil, fmt.Errorf("previous encryption keys are set but the current one is not")
		}
		return nil, nil
	}
	k := &Keyring{aeads: map[string]cipher.AEAD{}}
	id, err := k.add(current)
	if err != nil {
		return nil, fmt.Errorf("current key: %w", err)
	}
	k.current = id
	for i, p := range strings.FieldsFunc(previous, func(r rune) bool { return r == ',' || r == ' ' }) {
		if _, err := k.add(p); err != nil {
			return nil, fmt.Errorf("previous key %d: %w", i+1, err)
		}
	}
	return k, nil
}

func (k *Keyring) add(b64 string) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil || len(key) != 32 {
		// Never the value: it is a secret.
		return "", fmt.Errorf("must be base64 of 32 random bytes (openssl rand -base64 32)")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(append([]byte("tsunagu:key-id:"), key...))
	id := hex.EncodeToString(sum[:4])
	k.aeads[id] = aead
	return id, nil
}

// CurrentID names the key new values are sealed with ("" without a keyring).
func (k *Keyring) CurrentID() string {
	if k == nil {
		return ""
	}
	return k.current
}

// seal encrypts s with the current key; without a keyring, or for "", it
// returns s.
func (k *Keyring) seal(s string) string {
	if k == nil || s == "" {
		return s
	}
	aead := k.aeads[k.current]
	nonce := make([]byte, aead.NonceSize())
	_, _ = rand.Read(nonce) // never fails (crypto/rand panics instead)
	ct := aead.Seal(nonce, nonce, []byte(s), []byte(k.current))
	return sealedPrefix + k.current + ":" + base64.RawStdEncoding.EncodeToString(ct)
}

// open decrypts a sealed value; a value in clear comes back as it is.
func (k *Keyring) open(s string) (string, error) {
	rest, ok := strings.CutPrefix(s, sealedPrefix)
	if !ok {
		return s, nil
	}
	id, b64, ok := strings.Cut(rest, ":")
	if !ok {
		return s, nil // not ours: someone typed "enc1:"
	}
	if k == nil {
		return "", tsunagu.Errorf(tsunagu.EINTERNAL, "a value is encrypted with key %s but no encryption key is configured (TSUNAGU_ENCRYPTION_KEY)", id)
	}
	aead, ok := k.aeads[id]
	if !ok {
		return "", tsunagu.Errorf(tsunagu.EINTERNAL, "a value is encrypted with key %s, which is neither the current nor a previous key (TSUNAGU_ENCRYPTION_OLD_KEYS)", id)
	}
	ct, err := base64.RawStdEncoding.DecodeString(b64)
	if err != nil || len(ct) < aead.NonceSize() {
		return s, nil // not ours
	}
	pt, err := aead.Open(nil, ct[:aead.NonceSize()], ct[aead.NonceSize():], []byte(id))
	if err != nil {
		return "", tsunagu.Errorf(tsunagu.EINTERNAL, "a value encrypted with key %s does not decrypt (damaged, or a different key with the same id)", id)
	}
	return string(pt), nil
}

// stale reports whether a stored value should be re-sealed by rekey: it is
// in clear, or sealed with a key other than the current one.
func (k *Keyring) stale(s string) bool {
	if k == nil || s == "" {
		return false
	}
	rest, ok := strings.CutPrefix(s, sealedPrefix)
	if !ok {
		return true
	}
	id, _, _ := strings.Cut(rest, ":")
	return id != k.current
}

// freeText reports whether an answer is typed text rather than a choice (it
// has a label) or a number: only free text is encrypted, so that reports
// can count choices and numbers without the key.
func freeText(a tsunagu.Answer) bool {
	if a.Skipped || a.Label != "" || a.Value == "" {
		return false
	}
	_, err := strconv.ParseFloat(a.Value, 64)
	return err != nil
}

// mapSession applies f to the free-text answers of a session, in a copy.
func mapSession(sess *tsunagu.Session, f func(string) (string, error)) (*tsunagu.Session, error) {
	if sess == nil || len(sess.Answers) == 0 {
		return sess, nil
	}
	c := *sess
	c.Answers = make(map[string]tsunagu.Answer, len(sess.Answers))
	for id, a := range sess.Answers {
		if freeText(a) || strings.HasPrefix(a.Value, sealedPrefix) {
			v, err := f(a.Value)
			if err != nil {
				return nil, fmt.Errorf("session %s step %s: %w", sess.ID, id, err)
			}
			a.Value = v
		}
		c.Answers[id] = a
	}
	return &c, nil
}

// mapAlert applies f to the texts of an alert a family's words can be in
// (the answers shown, the reason, which may quote a risk word, and the
// supporter's note), in a copy.
func mapAlert(a *tsunagu.Alert, f func(string) (string, error)) (*tsunagu.Alert, error) {
	c := *a
	var err error
	mapQA := func(qas []tsunagu.QA) []tsunagu.QA {
		if len(qas) == 0 {
			return qas
		}
		out := make([]tsunagu.QA, len(qas))
		for i, qa := range qas {
			out[i] = qa
			if err == nil {
				out[i].Answer, err = f(qa.Answer)
			}
		}
		return out
	}
	text := func(s string) string {
		if err == nil {
			s, err = f(s)
		}
		return s
	}
	c.Answers = mapQA(a.Answers)
	c.Reason = text(a.Reason) // may quote what the member wrote (a risk word)
	if len(a.Grouped) > 0 {
		c.Grouped = make([]tsunagu.GroupedAlert, len(a.Grouped))
		for i, g := range a.Grouped {
			g.Answers = mapQA(g.Answers)
			g.Reason = text(g.Reason)
			c.Grouped[i] = g
		}
	}
	if a.Thread != nil {
		th := *a.Thread
		th.Reason = text(th.Reason)
		c.Thread = &th
	}
	c.Note = text(a.Note)
	if err != nil {
		return nil, fmt.Errorf("alert %s: %w", a.ID, err)
	}
	return &c, nil
}

func (k *Keyring) sealFn(s string) (string, error) { return k.seal(s), nil }

// SetKeyring makes the store encrypt free text with k (nil: in clear). Set
// it once, before use.
func (s *Store) SetKeyring(k *Keyring) { s.keys = k }

// Keyring returns the keyring in use, nil when free text is stored in clear.
func (s *Store) Keyring() *Keyring { return s.keys }

func (s *Store) encodeSession(sess *tsunagu.Session) ([]byte, error) {
	c, err := mapSession(sess, s.keys.sealFn)
	if err != nil {
		return nil, err
	}
	return json.Marshal(c)
}

func (s *Store) decodeSession(b []byte) (*tsunagu.Session, error) {
	var sess tsunagu.Session
	if err := json.Unmarshal(b, &sess); err != nil {
		return nil, fmt.Errorf("decode session: %w", err)
	}
	return mapSession(&sess, s.keys.open)
}

func (s *Store) encodeAlert(a *tsunagu.Alert) ([]byte, error) {
	c, err := mapAlert(a, s.keys.sealFn)
	if err != nil {
		return nil, err
	}
	return json.Marshal(c)
}

func (s *Store) decodeAlert(b []byte) (*tsunagu.Alert, error) {
	var a tsunagu.Alert
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, fmt.Errorf("decode alert: %w", err)
	}
	return mapAlert(&a, s.keys.open)
}

// getSession reads a session key; a missing key is redis.Nil.
func (s *Store) getSession(ctx context.Context, c redis.Cmdable, key string) (*tsunagu.Session, error) {
	b, err := c.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, err
	}
	if err != nil {
		return nil, unavailable(err)
	}
	return s.decodeSession(b)
}

// getAlert reads an alert key; a missing key is redis.Nil.
func (s *Store) getAlert(ctx context.Context, c redis.Cmdable, key string) (*tsunagu.Alert, error) {
	b, err := c.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, err
	}
	if err != nil {
		return nil, unavailable(err)
	}
	return s.decodeAlert(b)
}

func (s *Store) setSession(ctx context.Context, p redis.Pipeliner, key string, sess *tsunagu.Session) error {
	b, err := s.encodeSession(sess)
	if err != nil {
		return err
	}
	p.Set(ctx, key, b, 0)
	return nil
}

func (s *Store) setAlert(ctx context.Context, p redis.Pipeliner, a *tsunagu.Alert) error {
	b, err := s.encodeAlert(a)
	if err != nil {
		return err
	}
	p.Set(ctx, alertKey(a.ID), b, 0)
	return nil
}

func (s *Store) decodeHistory(raw []string) ([]tsunagu.Session, error) {
	out := make([]tsunagu.Session, len(raw))
	for i, r := range raw {
		sess, err := s.decodeSession([]byte(r))
		if err != nil {
			return nil, fmt.Errorf("decode history: %w", err)
		}
		out[i] = *sess
	}
	return out, nil
}

func (s *Store) decodeRawSession(b []byte) (*tsunagu.Session, error) {
	var sess tsunagu.Session
	if err := json.Unmarshal(b, &sess); err != nil {
		return nil, fmt.Errorf("decode session: %w", err)
	}
	return &sess, nil
}

func (s *Store) decodeRawAlert(b []byte) (*tsunagu.Alert, error) {
	var a tsunagu.Alert
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, fmt.Errorf("decode alert: %w", err)
	}
	return &a, nil
}
