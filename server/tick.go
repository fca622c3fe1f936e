package server

import "time"

// tickLoop runs, every interval, what the emulator's clock has made due for
// objects that are not on a test clock: renewals, finalizations, notices.
func (s *Server) tickLoop(interval time.Duration) {
	defer close(s.tickDone)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.stopTick:
			return
		case <-t.C:
			s.tick()
		}
	}
}

// tick runs due work for every account, up to the emulator's current time, and
// lets each account's usage store drop what has aged out.
func (s *Server) tick() {
	now := s.clock.Now().Unix()
	for _, acct := range s.accounts.all() {
		if err := s.runDue(acct); err != nil {
			s.log.Error("running due work", "error", err.Error())
		}
		acct.usage.Maintain(now)
	}
}

// runDue runs an account's due work, in one write transaction, if any is due.
func (s *Server) runDue(acct *account) error {
	now := s.clock.Now()
	rd := acct.db.Read()
	sub, err := rd.FirstDue(tSubscriptions, "due", "", now.Unix())
	inv, err2 := rd.FirstDue(tInvoices, "due", "", now.Unix())
	rd.Abort()
	if err != nil {
		return err
	}
	if err2 != nil {
		return err2
	}
	if sub == nil && inv == nil {
		return nil
	}
	c := &call{s: s, acct: acct, now: now}
	c.tx = acct.db.Write()
	c.tx.OnChange = c.record
	defer c.tx.Abort()
	if err := c.processDue("", now.Unix()); err != nil {
		return err
	}
	return c.commit()
}
