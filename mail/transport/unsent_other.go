//go:build !linux && !darwin

package transport

import "syscall"

// unsent returns -1: this system does not tell how much of the sent data
// the peer has not taken yet.
func unsent(syscall.RawConn) int { return -1 }
