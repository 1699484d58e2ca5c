package bot

import (
	"sync/atomic"

	"github.com/tsunagu/tsunagu/flows"
)

// FlowSet is the set of flows in force. It is replaced whole, so a reload
// never shows a half-loaded set.
type FlowSet struct {
	p atomic.Pointer[map[string]*flows.Flow]
}

// NewFlowSet returns a set holding fs.
func NewFlowSet(fs []*flows.Flow) *FlowSet {
	s := &FlowSet{}
	s.Replace(fs)
	return s
}

// Replace puts fs in force.
func (s *FlowSet) Replace(fs []*flows.Flow) {
	m := make(map[string]*flows.Flow, len(fs))
	for _, f := range fs {
		m[f.ID] = f
	}
	s.p.Store(&m)
}

// Get returns the flow with the given id, or nil.
func (s *FlowSet) Get(id string) *flows.Flow {
	m := s.p.Load()
	if m == nil {
		return nil
	}
	return (*m)[id]
}

// Len is the number of flows in force.
func (s *FlowSet) Len() int {
	m := s.p.Load()
	if m == nil {
		return 0
	}
	return len(*m)
}
