package transport

import "syscall"

// unsent returns the bytes that the kernel holds in the socket's send
// buffer (SO_NWRITE), or -1 if unknown.
func unsent(rc syscall.RawConn) int {
	n := -1
	_ = rc.Control(func(fd uintptr) {
		if v, err := syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_NWRITE); err == nil {
			n = v
		}
	})
	return n
}
