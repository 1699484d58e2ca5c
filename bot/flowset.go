package bot

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/tsunagu/tsunagu/flows"
)

// FlowSet is the set of flows in force, replaced whole so that a reload
// never shows a half-loaded set, plus the older versions that sessions
// started on: a session runs to its end on the version it started with.
type FlowSet struct {
	current atomic.Pointer[map[string]*flows.Flow]

	// Source finds the source of an older version by its hash (the store
	// keeps them); nil means only versions seen by this process are known.
	Source func(ctx context.Context, hash string) ([]byte, error)
	Lang   string

	mu  sync.Mutex
	old map[string]*flows.Flow // by hash: every version seen or loaded
}

// NewFlowSet returns a set holding fs.
func NewFlowSet(fs []*flows.Flow) *FlowSet {
	s := &FlowSet{old: map[string]*flows.Flow{}}
	s.Replace(fs)
	return s
}

// Replace puts fs in force. Versions replaced stay known for sessions
// still running on them.
func (s *FlowSet) Replace(fs []*flows.Flow) {
	m := make(map[string]*flows.Flow, len(fs))
	s.mu.Lock()
	for _, f := range fs {
		m[f.ID] = f
		s.old[f.Hash] = f
	}
	s.mu.Unlock()
	s.current.Store(&m)
}

// Get returns the flow in force with the given id, or nil.
func (s *FlowSet) Get(id string) *flows.Flow {
	m := s.current.Load()
	if m == nil {
		return nil
	}
	return (*m)[id]
}

// All returns the flows in force.
func (s *FlowSet) All() []*flows.Flow {
	m := s.current.Load()
	if m == nil {
		return nil
	}
	out := make([]*flows.Flow, 0, len(*m))
	for _, f := range *m {
		out = append(out, f)
	}
	return out
}

// Len is the number of flows in force.
func (s *FlowSet) Len() int {
	m := s.current.Load()
	if m == nil {
		return 0
	}
	return len(*m)
}

// Version returns the version of flow id with the given content hash: the
// one in force, one seen before, or one loaded from its kept source. It
// falls back to the version in force when the old one cannot be had (an
// empty hash, or a source that expired), and returns nil only when the
// flow is gone altogether.
func (s *FlowSet) Version(ctx context.Context, id, hash string) (*flows.Flow, error) {
	cur := s.Get(id)
	if hash == "" || (cur != nil && cur.Hash == hash) {
		return cur, nil
	}
	s.mu.Lock()
	f := s.old[hash]
	s.mu.Unlock()
	if f != nil {
		return f, nil
	}
	if s.Source == nil {
		return cur, nil
	}
	src, err := s.Source(ctx, hash)
	if err != nil {
		return nil, err
	}
	if src == nil {
		return cur, nil
	}
	f, diags := flows.Parse(id+".yaml (version "+hash[:min(8, len(hash))]+")", src, flows.Options{Lang: s.Lang})
	if f == nil || diags.HasErrors() || f.ID != id {
		return cur, nil
	}
	s.mu.Lock()
	s.old[hash] = f
	s.mu.Unlock()
	return f, nil
}
