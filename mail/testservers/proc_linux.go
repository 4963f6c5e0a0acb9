package testservers

import (
	"errors"
	"fmt"
	"os/exec"
	"syscall"
)

// inOwnProcessGroup makes cmd's process the leader of a new process group,
// which its children join, so that stop finds them all.
func inOwnProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// becomeSubreaper makes this process adopt the orphans of the servers it
// starts (a daemonized master, a master's children after it dies), so that
// stop can reap them: otherwise they would stay zombies wherever init does
// not reap orphans, as in some containers.
func becomeSubreaper() error {
	const prSetChildSubreaper = 36 // PR_SET_CHILD_SUBREAPER from <linux/prctl.h>
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); errno != 0 {
		return fmt.Errorf("become child subreaper: %w", errno)
	}
	return nil
}

// stop kills the server's whole process group and reaps it, waiting until
// none of it is left, not even a zombie. There is nothing to shut down
// gracefully: the server's state lives in the test's directory, which is
// removed next. (A SIGTERM costs Dovecot 1 to 6 s to exit here.)
func (d *daemon) stop() error {
	if d.pgid <= 1 || d.pgid == syscall.Getpgrp() {
		return fmt.Errorf("%s: refusing to kill process group %d, which is not the server's own", d.name, d.pgid)
	}
	if err := syscall.Kill(-d.pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill %s process group %d: %w", d.name, d.pgid, err)
	}
	gone := waitUntil(stopTimeout, func() bool {
		reap(d.pgid)
		return errors.Is(syscall.Kill(-d.pgid, 0), syscall.ESRCH)
	})
	if !gone {
		return fmt.Errorf("%s processes %v of group %d are still there %v after SIGKILL", d.name, groupMembers(d.pgid), d.pgid, stopTimeout)
	}
	return nil
}

// reap collects the exit status of every dead child of this process in
// process group pgid, without blocking.
func reap(pgid int) {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-pgid, &ws, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}

// processGroupGone reports whether the process group pgid has no process
// left.
func processGroupGone(pgid int) bool { return errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH) }
