// Package localstore is Sealpost's encrypted profile: one folder (mode 0700)
// holding one bbolt file (mode 0600) in which every value is sealed with
// XChaCha20-Poly1305 and every lookup key that would reveal content is blinded
// with HMAC-SHA-256.
//
// Key hierarchy: passphrase -> Argon2id (parameters in the plaintext header)
// -> key-encryption key -> unwraps a random 256-bit master key -> HKDF-SHA-256
// sub-keys for sealing values and blinding keys. Each sealed value is bound to
// its bucket path and record key, so a value moved elsewhere fails with
// ErrTampered.
//
// A Store is safe for concurrent use. Writes of one call happen in one bbolt
// transaction, which is fsynced before the call returns.
package localstore

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// DBFileName is the name of the single file inside a profile folder.
const DBFileName = "sealpost.db"

const (
	dirMode  fs.FileMode = 0o700
	fileMode fs.FileMode = 0o600

	defaultLockTimeout = 200 * time.Millisecond
	// pageSize is the bbolt page size for new profiles (see
	// docs/performance-localstore.md: 16 KiB pages hold ~14 sealed summaries,
	// against 3 with 4 KiB pages).
	pageSize = 16 << 10
	// seqFillPercent is used on buckets whose keys are appended in order
	// (message UIDs, audit sequence numbers).
	seqFillPercent = 0.9
)

// Top-level bucket names (plaintext schema words) and fixed record keys.
var (
	bktMeta          = []byte("meta")
	bktAccounts      = []byte("accounts")
	bktFolders       = []byte("folders")
	bktMessages      = []byte("messages")
	bktOwnKeys       = []byte("ownkeys")
	bktContacts      = []byte("contacts")
	bktContactEmails = []byte("contactemails")
	bktOutbox        = []byte("outbox")
	bktSettings      = []byte("settings")
	bktAudit         = []byte("audit")
	bktPeers         = []byte("peers")
	bktSearch        = []byte("search")
	bktDrafts        = []byte("drafts")

	subSummaries = []byte("summaries")
	subRaw       = []byte("raw")

	keyHeader    = []byte("header")
	keySchema    = []byte("schema")
	keyAuditHead = []byte("audithead")
	keySettings  = []byte("settings")

	topBuckets = [][]byte{bktMeta, bktAccounts, bktFolders, bktMessages, bktOwnKeys,
		bktContacts, bktContactEmails, bktOutbox, bktSettings, bktAudit, bktPeers, bktSearch, bktDrafts}
)

// Options tune Create, Open and ChangePassphrase; a nil *Options means defaults.
type Options struct {
	// KDF sets the Argon2id parameters for Create and ChangePassphrase; nil
	// means DefaultKDFParams. Open always uses the parameters in the header.
	KDF *KDFParams
	// LockTimeout bounds the wait for the file lock; 0 means 200 ms. When it
	// expires, Open and Create fail with ErrLocked.
	LockTimeout time.Duration
}

func (o *Options) kdf() KDFParams {
	if o == nil || o.KDF == nil {
		return DefaultKDFParams()
	}
	return *o.KDF
}

func (o *Options) lockTimeout() time.Duration {
	if o == nil || o.LockTimeout <= 0 {
		return defaultLockTimeout
	}
	return o.LockTimeout
}

// Store is an unlocked profile. Close it to release the file lock and drop the keys.
type Store struct {
	dir    string
	db     *bolt.DB
	keys   *keyring
	kdf    KDFParams
	schema int

	// mu orders Close after every running operation: operations hold it for
	// reading (see view and update), Close for writing.
	mu     sync.RWMutex
	closed bool
	// damaged is set once a call found the file damaged (see guard): every
	// later call fails with ErrDamaged.
	damaged atomic.Bool
	// lockLost is set when rolling back a damaged write transaction
	// failed, so bbolt still holds its writer lock (see update).
	lockLost atomic.Bool
}

// migration upgrades the schema by one version inside the Open transaction.
type migration struct {
	name  string
	apply func(tx *bolt.Tx, s *Store) error
}

// baseSchema is the schema version of the first release.
const baseSchema = 1

// migrations[i] upgrades a profile from schema baseSchema+i to baseSchema+i+1.
// Append new steps at the end; never reorder or remove them.
var migrations = []migration{
	{name: "add the Autocrypt peers bucket", apply: addPeersBucket},
	{name: "add the search index and drafts buckets", apply: addSearchAndDraftsBuckets},
	// Nothing to convert: an account without a backlog record is indexed
	// in full once. The new version keeps builds that would drop search
	// records without noting it from opening the profile.
	{name: "note the search index backlog", apply: func(*bolt.Tx, *Store) error { return nil }},
}

// currentSchema is the schema version this build writes.
func currentSchema() int { return baseSchema + len(migrations) }

func dbPath(dir string) string { return filepath.Join(dir, DBFileName) }

// Exists reports whether dir holds a profile file. The empty file that an
// interrupted Create leaves counts (see Interrupted): Open and Create then
// fail with ErrInterruptedInit, which says what to do.
func Exists(dir string) bool {
	fi, err := os.Stat(dbPath(dir))
	return err == nil && fi.Mode().IsRegular()
}

// Interrupted reports whether dir holds an empty profile file, as an
// interrupted Create leaves it.
func Interrupted(dir string) bool {
	fi, err := os.Stat(dbPath(dir))
	return err == nil && fi.Mode().IsRegular() && fi.Size() == 0
}

// ensureDir creates dir with mode 0700, or tightens an existing dir to 0700.
func ensureDir(dir string) error {
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return fmt.Errorf("create profile folder: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("inspect profile folder: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("profile path %s is not a folder", dir)
	}
	if fi.Mode().Perm() != dirMode {
		if err := os.Chmod(dir, dirMode); err != nil {
			return fmt.Errorf("restrict profile folder to owner-only access: %w", err)
		}
	}
	return nil
}

// initialMmapSize is how much of the file bbolt maps from the start. bbolt
// maps the file anew whenever it outgrows the mapping, copying every key and
// value that the open write transaction holds onto the heap and making
// readers wait: a sync that grows the file to hundreds of megabytes would
// do that at every doubling. Mapping is only address space (RSS counts only
// pages that are read), but on Windows bbolt grows the file to the size of
// the mapping, so there it maps as the file grows.
var initialMmapSize = func() int {
	if runtime.GOOS == "windows" {
		return 0
	}
	return 1 << 30
}()

func boltOptions(timeout time.Duration, openFile func(string, int, os.FileMode) (*os.File, error)) *bolt.Options {
	return &bolt.Options{
		Timeout:         timeout,
		PageSize:        pageSize,
		FreelistType:    bolt.FreelistMapType,
		OpenFile:        openFile,
		InitialMmapSize: initialMmapSize,
	}
}

// openBolt opens the bbolt file at path. bbolt reads the freelist page as it
// opens, so a damaged one panics inside Open: the panic becomes ErrDamaged
// and the file (with its lock) is closed.
func openBolt(path string, opts *bolt.Options) (*bolt.DB, error) {
	var file *os.File
	openFile := opts.OpenFile
	opts.OpenFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		f, err := openFile(name, flag, perm)
		file = f
		return f, err
	}
	var db *bolt.DB
	err := guard(func() (err error) {
		db, err = bolt.Open(path, fileMode, opts)
		return err
	})
	if errors.Is(err, ErrDamaged) && db == nil && file != nil {
		_ = file.Close()
	}
	switch {
	case err == nil:
		return db, nil
	case errors.Is(err, berrors.ErrTimeout):
		return nil, ErrLocked
	case errors.Is(err, ErrDamaged):
		return nil, err
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum):
		return nil, damagedf("%v", err)
	case errors.Is(err, berrors.ErrVersionMismatch):
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	default:
		return nil, fmt.Errorf("open profile file: %w", err)
	}
}

// Create makes a new profile in dir (created with mode 0700 if absent;
// tightened to 0700 if it exists with looser permissions) protected by
// passphrase, and returns it unlocked. The passphrase must pass
// CheckPassphrase. It fails with ErrProfileExists if dir already holds one.
func Create(dir string, passphrase []byte, opts *Options) (*Store, error) {
	if err := CheckPassphrase(passphrase); err != nil {
		return nil, err
	}
	params := opts.kdf()
	if err := params.validate(); err != nil {
		return nil, fmt.Errorf("invalid KDF parameters: %w", err)
	}
	if err := ensureDir(dir); err != nil {
		return nil, err
	}
	path := dbPath(dir)
	exclusive := func(name string, flag int, perm os.FileMode) (*os.File, error) {
		return os.OpenFile(name, flag|os.O_CREATE|os.O_EXCL, perm)
	}
	db, err := openBolt(path, boltOptions(opts.lockTimeout(), exclusive))
	if errors.Is(err, fs.ErrExist) {
		if Interrupted(dir) {
			return nil, ErrInterruptedInit
		}
		return nil, ErrProfileExists
	}
	if err != nil {
		return nil, err
	}
	s, err := initProfile(db, dir, passphrase, params)
	if err != nil {
		_ = db.Close()
		// The file was created by this call and holds no user data yet.
		_ = os.Remove(path)
		return nil, err
	}
	return s, nil
}

func initProfile(db *bolt.DB, dir string, passphrase []byte, params KDFParams) (*Store, error) {
	master := make([]byte, keySize)
	rand.Read(master)
	defer clear(master)
	hdr, err := wrapMaster(master, passphrase, params)
	if err != nil {
		return nil, err
	}
	keys, err := newKeyring(master)
	if err != nil {
		return nil, err
	}
	s := &Store{dir: dir, db: db, keys: keys, kdf: params, schema: currentSchema()}
	err = guard(func() error {
		return db.Update(func(tx *bolt.Tx) error {
			for _, name := range topBuckets {
				if _, err := tx.CreateBucketIfNotExists(name); err != nil {
					return fmt.Errorf("create bucket %s: %w", name, err)
				}
			}
			meta := tx.Bucket(bktMeta)
			if err := meta.Put(keyHeader, hdr.marshal()); err != nil {
				return fmt.Errorf("write header: %w", err)
			}
			return s.putSchema(tx, s.schema)
		})
	})
	if err != nil {
		keys.wipe()
		return nil, fmt.Errorf("initialise profile: %w", err)
	}
	return s, nil
}

// Open unlocks the profile in dir. It fails with ErrNoProfile if there is
// none, ErrLocked if another process has it open, ErrWrongPassphrase (file
// unchanged), ErrNewerSchema (file unchanged), ErrInterruptedInit (an empty
// file), ErrDamaged or ErrCorrupt. Pending schema
// migrations run in one transaction before Open returns. opts.KDF is kept for
// a later ChangePassphrase.
func Open(dir string, passphrase []byte, opts *Options) (*Store, error) {
	return openAt(dir, dbPath(dir), passphrase, opts)
}

// openAt is Open of the profile file at path, a store whose Dir is dir.
func openAt(dir, path string, passphrase []byte, opts *Options) (*Store, error) {
	db, err := openProfileFile(dir, path, opts)
	for tries := 1; errors.Is(err, errReplaced); tries++ {
		if tries == maxReplacedTries {
			return nil, ErrLocked
		}
		db, err = openProfileFile(dir, path, opts)
	}
	if err != nil {
		return nil, err
	}
	s, err := unlock(db, dir, passphrase)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	s.kdf = opts.kdf()
	return s, nil
}

// errReplaced means the profile file was replaced (by Restore) while
// openProfileFile waited for its lock: the lock it got is the old file's.
var errReplaced = errors.New("the profile file was replaced while it was being opened")

// maxReplacedTries is how often openAt opens a profile file that keeps
// being replaced before it gives up with ErrLocked.
const maxReplacedTries = 3

// openProfileFile checks the profile file at path and opens it with bbolt,
// holding its lock. It returns errReplaced, having closed the file, when
// another file took path's name before the lock was got.
func openProfileFile(dir, path string, opts *Options) (*bolt.DB, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoProfile
	}
	if err != nil {
		return nil, fmt.Errorf("inspect profile file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrCorrupt, DBFileName)
	}
	if fi.Size() == 0 {
		// bbolt would initialise an empty file; refuse instead of writing.
		return nil, ErrInterruptedInit
	}
	if err := checkFile(path, fi.Size()); err != nil {
		return nil, err
	}
	if err := ensureDir(dir); err != nil {
		return nil, err
	}
	if fi.Mode().Perm() != fileMode {
		if err := os.Chmod(path, fileMode); err != nil {
			return nil, fmt.Errorf("restrict profile file to owner-only access: %w", err)
		}
	}
	var file *os.File
	noCreate := func(name string, flag int, perm os.FileMode) (*os.File, error) {
		f, err := os.OpenFile(name, flag&^os.O_CREATE, perm)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, ErrNoProfile
		}
		file = f
		return f, err
	}
	db, err := openBolt(path, boltOptions(opts.lockTimeout(), noCreate))
	if err != nil {
		return nil, err
	}
	locked, err := file.Stat()
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("inspect profile file: %w", err)
	}
	if now, err := os.Stat(path); err != nil || !os.SameFile(locked, now) {
		_ = db.Close()
		return nil, errReplaced
	}
	return db, nil
}

func readHeader(db *bolt.DB) (*header, error) {
	var hdr *header
	err := guard(func() error {
		return db.View(func(tx *bolt.Tx) error {
			var err error
			hdr, err = headerIn(tx)
			return err
		})
	})
	return hdr, err
}

// headerIn parses a copy of the header (valid after tx ends).
func headerIn(tx *bolt.Tx) (*header, error) {
	meta := tx.Bucket(bktMeta)
	if meta == nil {
		return nil, fmt.Errorf("%w: no meta bucket", ErrCorrupt)
	}
	return parseHeader(append([]byte(nil), meta.Get(keyHeader)...))
}

func unlock(db *bolt.DB, dir string, passphrase []byte) (*Store, error) {
	hdr, err := readHeader(db)
	if err != nil {
		return nil, err
	}
	master, err := hdr.unwrapMaster(passphrase)
	if err != nil {
		return nil, err
	}
	keys, err := newKeyring(master)
	clear(master)
	if err != nil {
		return nil, err
	}
	s := &Store{dir: dir, db: db, keys: keys}
	if err := s.checkSchema(); err != nil {
		keys.wipe()
		return nil, err
	}
	return s, nil
}

// checkSchema reads the schema version, refuses a newer one and runs pending
// migrations.
func (s *Store) checkSchema() error {
	if err := s.view(func(tx *bolt.Tx) error {
		v, err := s.getSchema(tx)
		s.schema = v
		return err
	}); err != nil {
		return err
	}
	if s.schema > currentSchema() {
		return fmt.Errorf("%w (profile schema %d, this build knows %d)", ErrNewerSchema, s.schema, currentSchema())
	}
	if s.schema < currentSchema() {
		if err := s.migrate(); err != nil {
			return err
		}
	}
	// Repositories use the top-level buckets without nil checks.
	return s.view(func(tx *bolt.Tx) error {
		for _, name := range topBuckets {
			if tx.Bucket(name) == nil {
				return fmt.Errorf("%w: bucket %q missing", ErrCorrupt, name)
			}
		}
		return nil
	})
}

// migrate runs the pending migrations and records the new version in one transaction.
func (s *Store) migrate() error {
	from := s.schema
	err := s.update(func(tx *bolt.Tx) error {
		for v := from; v < currentSchema(); v++ {
			m := migrations[v-baseSchema]
			if err := m.apply(tx, s); err != nil {
				return fmt.Errorf("migrate profile schema %d to %d (%s): %w", v, v+1, m.name, err)
			}
		}
		return s.putSchema(tx, currentSchema())
	})
	if err != nil {
		return err
	}
	s.schema = currentSchema()
	return nil
}

func (s *Store) putSchema(tx *bolt.Tx, v int) error {
	return s.putValue(tx, [][]byte{bktMeta}, keySchema, binary.BigEndian.AppendUint32(nil, uint32(v)))
}

func (s *Store) getSchema(tx *bolt.Tx) (int, error) {
	pt, err := s.getValue(tx, [][]byte{bktMeta}, keySchema)
	if errors.Is(err, ErrNotFound) || (err == nil && len(pt) != 4) {
		return 0, fmt.Errorf("%w: schema version missing", ErrCorrupt)
	}
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return int(binary.BigEndian.Uint32(pt)), nil
}

// Close waits for running operations, releases the file lock and clears the
// keys. Later calls of any method fail with ErrClosed; a second Close
// returns nil. A store that found its file damaged during a write may be
// unable to release the lock: Close then returns ErrDamaged at once, and
// the file stays locked until the process ends.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.keys.wipe()
	if s.lockLost.Load() {
		// bbolt's Close would wait forever for the writer lock that a
		// failed rollback kept.
		return fmt.Errorf("close profile: %w (the file stays locked until Sealpost quits)", ErrDamaged)
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close profile: %w", err)
	}
	return nil
}

// view runs fn in a read transaction unless the store is closed or
// damaged. Lookup keys must be blinded inside fn, where the keys are
// guaranteed to be present.
func (s *Store) view(fn func(tx *bolt.Tx) error) error {
	return s.checked(func() error { return guard(func() error { return s.db.View(fn) }) })
}

// update runs fn in a write transaction (committed with fsync) unless the
// store is closed or damaged.
//
// It runs the transaction itself rather than through bbolt's Update, each
// bbolt call under guard once: when fn or the commit meets damage, the
// rollback reloads the freelist page, which panics if that page was
// damaged after Open checked it, and then bbolt never releases its writer
// lock. That case is noted (lockLost), so that Close does not wait for the
// lock forever. A panic of Sealpost's own inside fn goes on, after the
// transaction was rolled back.
func (s *Store) update(fn func(tx *bolt.Tx) error) error {
	return s.checked(func() (err error) {
		var tx *bolt.Tx
		if err := guard(func() (err error) { tx, err = s.db.Begin(true); return err }); err != nil {
			return err
		}
		done := false
		defer func() {
			if done {
				return
			}
			if rerr := guard(tx.Rollback); errors.Is(rerr, ErrDamaged) {
				s.lockLost.Store(true)
				err = rerr
			}
		}()
		if err := guard(func() error { return fn(tx) }); err != nil {
			return err
		}
		// Commit rolls back itself when it fails without a panic.
		err = guard(tx.Commit)
		done = !errors.Is(err, ErrDamaged)
		return err
	})
}

// checked runs fn, a transaction call that guards its bbolt calls, unless
// the store is closed or damaged, and marks the store damaged when fn
// finds it so.
func (s *Store) checked(fn func() error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	if s.damaged.Load() {
		return ErrDamaged
	}
	err := fn()
	if errors.Is(err, ErrDamaged) {
		s.damaged.Store(true)
	}
	return err
}

// Dir returns the profile folder.
func (s *Store) Dir() string { return s.dir }

// SchemaVersion returns the profile's schema version (after migrations).
func (s *Store) SchemaVersion() int { return s.schema }

// ChangePassphrase rewraps the master key under newPass with a fresh salt and
// the store's KDF parameters (Options.KDF given to Create or Open). oldPass
// must unlock the profile (else ErrWrongPassphrase) and newPass must pass
// CheckPassphrase. The header is replaced in one transaction: after a crash
// either the old or the new passphrase works.
func (s *Store) ChangePassphrase(oldPass, newPass []byte) error {
	if err := CheckPassphrase(newPass); err != nil {
		return err
	}
	if err := s.kdf.validate(); err != nil {
		return fmt.Errorf("invalid KDF parameters: %w", err)
	}
	var hdr *header
	err := s.view(func(tx *bolt.Tx) error {
		var err error
		hdr, err = headerIn(tx)
		return err
	})
	if err != nil {
		return err
	}
	old := hdr.marshal()
	master, err := hdr.unwrapMaster(oldPass)
	if err != nil {
		return err
	}
	defer clear(master)
	next, err := wrapMaster(master, newPass, s.kdf)
	if err != nil {
		return err
	}
	return s.update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bktMeta)
		if string(meta.Get(keyHeader)) != string(old) {
			return errors.New("the passphrase was changed concurrently; try again")
		}
		if err := meta.Put(keyHeader, next.marshal()); err != nil {
			return fmt.Errorf("write header: %w", err)
		}
		return nil
	})
}

// bucketAt walks path from the top level. With create it creates missing
// buckets (tx must be writable); without, it returns nil if any is missing.
func bucketAt(tx *bolt.Tx, create bool, path [][]byte) (*bolt.Bucket, error) {
	var b *bolt.Bucket
	for i, name := range path {
		var next *bolt.Bucket
		if i == 0 {
			next = tx.Bucket(name)
		} else {
			next = b.Bucket(name)
		}
		if next == nil && create {
			var err error
			if i == 0 {
				next, err = tx.CreateBucket(name)
			} else {
				next, err = b.CreateBucket(name)
			}
			if err != nil {
				return nil, fmt.Errorf("create bucket: %w", err)
			}
		}
		if next == nil {
			return nil, nil
		}
		b = next
	}
	return b, nil
}

// putValue seals plaintext for path/key and stores it.
func (s *Store) putValue(tx *bolt.Tx, path [][]byte, key, plaintext []byte) error {
	b, err := bucketAt(tx, true, path)
	if err != nil {
		return err
	}
	return s.putIn(b, path, key, plaintext)
}

func (s *Store) putIn(b *bolt.Bucket, path [][]byte, key, plaintext []byte) error {
	ad := appendAD(make([]byte, 0, 128), path, key)
	sealed := s.keys.sealTo(make([]byte, 0, len(plaintext)+sealOverhead), plaintext, ad)
	if err := b.Put(key, sealed); err != nil {
		return fmt.Errorf("write record: %w", err)
	}
	return nil
}

// getValue returns the plaintext of path/key: ErrNotFound if absent,
// ErrTampered if it fails authentication.
func (s *Store) getValue(tx *bolt.Tx, path [][]byte, key []byte) ([]byte, error) {
	b, err := bucketAt(tx, false, path)
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, ErrNotFound
	}
	return s.getIn(b, path, key)
}

func (s *Store) getIn(b *bolt.Bucket, path [][]byte, key []byte) ([]byte, error) {
	sealed := b.Get(key)
	if sealed == nil {
		return nil, ErrNotFound
	}
	return s.openSealed(path, key, sealed)
}

func (s *Store) openSealed(path [][]byte, key, sealed []byte) ([]byte, error) {
	ad := appendAD(make([]byte, 0, 128), path, key)
	return s.keys.openTo(nil, sealed, ad)
}

// putJSON encodes v as JSON and seals it at path/key.
func (s *Store) putJSON(tx *bolt.Tx, path [][]byte, key []byte, v any) error {
	var buf bytes.Buffer
	if err := newEncoder(&buf).Encode(v); err != nil {
		return fmt.Errorf("encode record: %w", err)
	}
	defer clear(buf.Bytes())
	return s.putValue(tx, path, key, buf.Bytes())
}

// newEncoder returns the JSON encoder for records: no HTML escaping, so
// addresses like "<a@b>" are not inflated to \u003ca@b\u003e.
func newEncoder(buf *bytes.Buffer) *json.Encoder {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	return enc
}

// getJSON opens path/key and decodes it into v.
func (s *Store) getJSON(tx *bolt.Tx, path [][]byte, key []byte, v any) error {
	pt, err := s.getValue(tx, path, key)
	if err != nil {
		return err
	}
	return decodeJSON(pt, v)
}

func decodeJSON(pt []byte, v any) error {
	defer clear(pt)
	if err := json.Unmarshal(pt, v); err != nil {
		return fmt.Errorf("%w: decode record: %w", ErrCorrupt, err)
	}
	return nil
}

// openJSON opens a sealed value read during iteration and decodes it into v.
func (s *Store) openJSON(path [][]byte, key, sealed []byte, v any) error {
	pt, err := s.openSealed(path, key, sealed)
	if err != nil {
		return err
	}
	return decodeJSON(pt, v)
}

// deleteKey removes path/key, ErrNotFound if absent.
func deleteKey(tx *bolt.Tx, path [][]byte, key []byte) error {
	b, err := bucketAt(tx, false, path)
	if err != nil {
		return err
	}
	if b == nil || b.Get(key) == nil {
		return ErrNotFound
	}
	if err := b.Delete(key); err != nil {
		return fmt.Errorf("delete record: %w", err)
	}
	return nil
}

// deleteBucketAt removes the bucket at path if it exists.
func deleteBucketAt(tx *bolt.Tx, path [][]byte) error {
	parent, err := bucketAt(tx, false, path[:len(path)-1])
	if err != nil || parent == nil {
		return err
	}
	err = parent.DeleteBucket(path[len(path)-1])
	if err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
		return fmt.Errorf("delete bucket: %w", err)
	}
	return nil
}

// addSearchAndDraftsBuckets creates the top-level buckets of the sealed
// search index and of saved drafts (schema 3).
func addSearchAndDraftsBuckets(tx *bolt.Tx, _ *Store) error {
	for _, name := range [][]byte{bktSearch, bktDrafts} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return nil
}
