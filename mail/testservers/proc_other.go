//go:build !linux

package testservers

import (
	"errors"
	"os/exec"
)

// errNotLinux is what the process handling returns off Linux. It is not
// reached: start skips (or fails) every test there first, since the
// servers are Debian's packages (see unavailable).
var errNotLinux = errors.New("the test servers run on Linux only")

// inOwnProcessGroup leaves cmd as it is off Linux.
func inOwnProcessGroup(*exec.Cmd) {}

// becomeSubreaper returns errNotLinux off Linux.
func becomeSubreaper() error { return errNotLinux }

// stop returns errNotLinux off Linux.
func (d *daemon) stop() error { return errNotLinux }

// processGroupGone reports true off Linux, where no server is started.
func processGroupGone(int) bool { return true }
