package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
)

// checkPeer makes sure the process at the other end of c runs as this
// user (SO_PEERCRED), on top of the socket's private folder and mode.
func checkPeer(c *net.UnixConn) error {
	raw, err := c.SyscallConn()
	if err != nil {
		return fmt.Errorf("check the peer: %w", err)
	}
	var cred *syscall.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return fmt.Errorf("check the peer: %w", err)
	}
	if credErr != nil {
		return fmt.Errorf("check the peer: %w", credErr)
	}
	if int(cred.Uid) != os.Getuid() {
		return errors.New("refused a request from another user")
	}
	return nil
}
