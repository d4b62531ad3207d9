package admin

import "time"

// SetHeartbeat makes live streams ping every d, so that a test sees a
// stream end with its session without waiting 25 seconds.
func SetHeartbeat(s *Server, d time.Duration) { s.heartbeat = d }
