package localstore

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
)

// A damaged file (cut short by a full disk or a bad copy, or with bytes
// altered) must give ErrDamaged, never crash the process. bbolt trusts the
// file: it panics on a page it cannot make sense of and reads through its
// memory map past the end of a shortened file, which the Go runtime
// reports as a fatal fault. Two defences:
//
//   - checkFile reads the two bbolt meta pages and the freelist before bbolt
//     maps the file, and refuses a file whose valid meta page names pages
//     beyond its end or whose freelist does not parse (bbolt reads both as it
//     opens the file, where a panic would leave the file locked until the
//     process ends);
//   - guard runs every bbolt call with faults turned into panics, and turns
//     a panic raised inside bbolt (or a fault) into ErrDamaged. bbolt rolls
//     the transaction back and releases its locks on a panic, so nothing is
//     half-written; the store then refuses every later call with ErrDamaged.

// bbolt's on-disk meta page (go.etcd.io/bbolt/internal/common): a 16-byte
// page header, then magic, version, page size, flags (uint32 each), the
// root bucket (page id, sequence), the freelist page id, the page count
// (high water mark), the transaction id and an FNV-64a checksum of the
// bytes before it, all in the machine's byte order.
const (
	boltPageHeader   = 16
	boltMagic        = 0xED0CDAED
	boltVersion      = 2
	boltMetaSumBytes = 56
	boltMetaBytes    = boltMetaSumBytes + 8
	boltFreelistPage = 0x10
	minBoltPageSize  = 1 << 10
	maxBoltPageSize  = 1 << 20
)

// boltMeta is the part of a meta page checkFile looks at.
type boltMeta struct {
	pageSize       uint32
	root, freelist uint64
	pages, txid    uint64
	valid          bool
}

// readBoltMeta reads the meta page at off; valid reports whether its magic,
// version and checksum are right.
func readBoltMeta(f io.ReaderAt, off int64) boltMeta {
	buf := make([]byte, boltPageHeader+boltMetaBytes)
	if _, err := f.ReadAt(buf, off); err != nil {
		return boltMeta{}
	}
	b := buf[boltPageHeader:]
	le := binary.NativeEndian
	m := boltMeta{
		pageSize: le.Uint32(b[8:12]),
		root:     le.Uint64(b[16:24]),
		freelist: le.Uint64(b[32:40]),
		pages:    le.Uint64(b[40:48]),
		txid:     le.Uint64(b[48:56]),
	}
	h := fnv.New64a()
	h.Write(b[:boltMetaSumBytes])
	m.valid = le.Uint32(b[0:4]) == boltMagic && le.Uint32(b[4:8]) == boltVersion &&
		le.Uint64(b[boltMetaSumBytes:]) == h.Sum64()
	return m
}

// checkFile checks the bbolt file at path, of size bytes, as far as bbolt
// relies on it when it opens the file: at least one valid meta page, and the
// one bbolt would use (the valid one with the highest transaction id) naming
// only pages that lie inside the file.
func checkFile(path string, size int64) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open profile file: %w", err)
	}
	defer f.Close()
	m := currentMeta(f)
	if !m.valid {
		return damagedf("no valid bbolt meta page")
	}
	ps := uint64(m.pageSize)
	switch {
	case ps < minBoltPageSize || ps > maxBoltPageSize || ps&(ps-1) != 0:
		return damagedf("page size %d", ps)
	case m.pages < 3 || m.pages > uint64(size)/ps:
		return damagedf("%d pages of %d bytes in a file of %d bytes", m.pages, ps, size)
	case m.root < 2 || m.root >= m.pages:
		return damagedf("root page %d of %d", m.root, m.pages)
	case m.freelist < 2 || m.freelist >= m.pages:
		// Sealpost always writes the freelist: without one, bbolt would
		// walk every page to rebuild it as it opens the file.
		return damagedf("freelist page %d of %d", m.freelist, m.pages)
	}
	return checkFreelist(f, m)
}

// checkFreelist checks the freelist page that bbolt reads as it opens the
// file: its type, that its ids fit in its pages and the file, and that
// each names a page of the file once.
func checkFreelist(f io.ReaderAt, m boltMeta) error {
	ps := int64(m.pageSize)
	hdr := make([]byte, boltPageHeader+8)
	if _, err := f.ReadAt(hdr, int64(m.freelist)*ps); err != nil {
		return damagedf("freelist page %d unreadable", m.freelist)
	}
	le := binary.NativeEndian
	flags, count, overflow := le.Uint16(hdr[8:10]), uint64(le.Uint16(hdr[10:12])), uint64(le.Uint32(hdr[12:16]))
	if flags != boltFreelistPage || m.freelist+overflow >= m.pages {
		return damagedf("freelist page %d: flags %#x, %d overflow pages", m.freelist, flags, overflow)
	}
	first := int64(boltPageHeader)
	if count == 0xFFFF {
		count = le.Uint64(hdr[boltPageHeader:])
		first += 8
	}
	if count > (uint64(overflow+1)*uint64(ps)-uint64(first))/8 {
		return damagedf("freelist page %d: %d ids", m.freelist, count)
	}
	buf := make([]byte, count*8)
	if _, err := f.ReadAt(buf, int64(m.freelist)*ps+first); err != nil {
		return damagedf("freelist page %d unreadable", m.freelist)
	}
	ids := make([]uint64, count)
	for i := range ids {
		ids[i] = le.Uint64(buf[i*8:])
	}
	slices.Sort(ids)
	for i, id := range ids {
		if id < 2 || id >= m.pages || (i > 0 && ids[i-1] == id) {
			return damagedf("freelist page %d: free page %d of %d", m.freelist, id, m.pages)
		}
	}
	return nil
}

// currentMeta returns the meta page bbolt would use: the valid one with the
// highest transaction id (not valid if there is none).
func currentMeta(f io.ReaderAt) boltMeta {
	m0 := readBoltMeta(f, 0)
	var m1 boltMeta
	if m0.valid {
		m1 = readBoltMeta(f, int64(m0.pageSize))
	} else {
		// The first meta page says nothing: look for the second where a
		// page size bbolt might have used puts it.
		for ps := int64(minBoltPageSize); ps <= maxBoltPageSize && !m1.valid; ps *= 2 {
			if m1 = readBoltMeta(f, ps); m1.valid && int64(m1.pageSize) != ps {
				m1 = boltMeta{}
			}
		}
	}
	if m1.valid && (!m0.valid || m1.txid > m0.txid) {
		return m1
	}
	return m0
}

// damagedf returns ErrDamaged with a detail for logs.
func damagedf(format string, args ...any) error {
	return &damageError{detail: fmt.Sprintf(format, args...)}
}

// damageError is ErrDamaged with what was found, for logs.
type damageError struct{ detail string }

func (e *damageError) Error() string { return ErrDamaged.Error() + " (" + e.detail + ")" }
func (e *damageError) Unwrap() error { return ErrDamaged }

// guard runs fn, which calls bbolt, with memory faults turned into panics,
// and returns ErrDamaged for a fault or a panic raised inside bbolt. Any
// other panic (a bug outside bbolt) goes on.
func guard(fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if !raisedByBolt(r) {
			panic(r)
		}
		err = damagedf("%v", r)
	}()
	return fn()
}

// raisedByBolt reports whether the panic r, being recovered by the caller,
// is a memory fault or was raised by a function of bbolt (directly, or by
// the runtime on its behalf, such as an index out of range).
func raisedByBolt(r any) bool {
	if _, fault := r.(interface{ Addr() uintptr }); fault {
		return true
	}
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	panicking := false
	for {
		f, more := frames.Next()
		switch {
		case f.Function == "runtime.gopanic":
			panicking = true
		case panicking && !strings.HasPrefix(f.Function, "runtime."):
			return strings.HasPrefix(f.Function, "go.etcd.io/bbolt")
		}
		if !more {
			return false
		}
	}
}
