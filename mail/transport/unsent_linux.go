package transport

import (
	"syscall"
	"unsafe"
)

// unsent returns the bytes that the kernel holds for sending on the socket
// and the peer has not acknowledged yet (SIOCOUTQ), or -1 if unknown.
func unsent(rc syscall.RawConn) int {
	n := -1
	_ = rc.Control(func(fd uintptr) {
		var v int32
		if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCOUTQ, uintptr(unsafe.Pointer(&v))); errno == 0 {
			n = int(v)
		}
	})
	return n
}
