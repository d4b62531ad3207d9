package shipbobtest

// ClearFaults drops every injected failure, delay and drop: the outage is
// over.
func (s *Server) ClearFaults() {
	s.Faults.ClearDelays()
	s.ClearFailures()
}
