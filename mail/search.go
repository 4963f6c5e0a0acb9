package mail

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/backend"
)

// ErrEmptySearch means a search was asked for without any word to find.
var ErrEmptySearch = errors.New("nothing to search for: give one or more words")

// SearchQuery says what to search for and where (see backend.SearchQuery).
type SearchQuery = backend.SearchQuery

// searchBatch is how many messages are indexed per store transaction.
const searchBatch = 200

// Index is the search index of the local copy of mail: one sealed record
// per message with its normalised text (decrypted for encrypted mail that
// the own keys open), built as a sync stores new mail and afterwards for
// whatever was left unindexed, and scanned for searches.
type Index struct {
	store     *localstore.Store
	accounts  *Accounts
	keys      *Keyring
	inspector *Inspector
}

// Search brings the search index of the queried accounts and folders up to
// date, then returns the messages in which every word of q.Text occurs
// (ignoring case, accents and how words are spaced), newest first, at most
// q.Limit of them (0: all).
func (idx *Index) Search(ctx context.Context, q SearchQuery) ([]backend.MessageSummary, error) {
	words := searchWords(q.Text)
	if len(words) == 0 {
		return nil, ErrEmptySearch
	}
	if err := idx.update(ctx, q.Account, q.Folder, nil); err != nil {
		return nil, err
	}
	return idx.search(ctx, q, words)
}

// Update indexes the messages of account (every account when
// empty) that are not indexed yet, in every synchronised folder: sender,
// recipients, subject, attachment names and, when the message is stored,
// its shown text, decrypted for encrypted mail. progress, if set, is called
// after each batch. A message stored without its body is indexed again
// once the body arrives. A message that does not decrypt is indexed with
// its summary only, and tried again once the own keys change. Encrypted
// mail with header protection that decrypts with integrity protection gets
// its real Subject and From shown in its summary, in every folder. A sync
// indexes new mail as it stores it, so this finds work only where something
// else left messages unindexed (see localstore.SearchIndex.Backlog), and
// costs a read of one record per account otherwise.
func (idx *Index) Update(ctx context.Context, account string, progress func(done, total int)) error {
	return idx.update(ctx, account, "", progress)
}

// update indexes the backlog of account and folder (all when empty),
// in batches of searchBatch messages; progress, if set, is called after
// each batch.
func (idx *Index) update(ctx context.Context, account, folder string, progress func(done, total int)) error {
	b, err := idx.pending(account, folder)
	if err != nil {
		return err
	}
	ix := idx.newIndexer()
	defer ix.close()
	done := 0
	for _, job := range b.jobs {
		for start := 0; start < len(job.uids); start += searchBatch {
			chunk := job.uids[start:min(len(job.uids), start+searchBatch)]
			if err := ix.index(ctx, job.account, job.folder, chunk); err != nil {
				return err
			}
			done += len(chunk)
			if progress != nil {
				progress(done, b.total)
			}
		}
	}
	return idx.markIndexed(b)
}

// indexJob is the messages of one folder that are not indexed yet.
type indexJob struct {
	account, folder string
	uids            []uint32
}

// backlog is what Index.pending found: the jobs, how many messages they
// hold, and the backlog generation of each account listed in full (see
// localstore.SearchIndex.Backlog), to mark once the jobs are done.
type backlog struct {
	jobs  []indexJob
	total int
	gens  map[string]uint64
}

// pending lists, per folder of account (all accounts when "") and
// folder (all folders when ""), the stored messages without a search
// record, and their total. It first drops the records of undecryptable
// messages when the own keys changed since they were indexed. Accounts
// whose backlog is empty are not listed at all: listing reads every
// record's page of the file.
func (idx *Index) pending(account, folder string) (backlog, error) {
	b := backlog{gens: map[string]uint64{}}
	accts, err := idx.accounts.selected(account)
	if err != nil {
		return b, err
	}
	tag, err := idx.ownKeysTag()
	if err != nil {
		return b, err
	}
	for _, acct := range accts {
		if _, err := idx.store.SearchIndex().RetryUnreadable(acct.Email, tag); err != nil {
			return b, err
		}
		gen, pending, err := idx.store.SearchIndex().Backlog(acct.Email)
		if err != nil {
			return b, err
		}
		if !pending {
			continue
		}
		if folder == "" {
			b.gens[acct.Email] = gen
		}
		folders, err := idx.searchFolders(acct.Email, folder)
		if err != nil {
			return b, err
		}
		for _, f := range folders {
			have, err := idx.store.Messages().UIDs(acct.Email, f)
			if err != nil {
				return b, err
			}
			done, err := idx.store.SearchIndex().Indexed(acct.Email, f)
			if err != nil {
				return b, err
			}
			if missing := sortedMinus(have, done); len(missing) > 0 {
				b.jobs = append(b.jobs, indexJob{account: acct.Email, folder: f, uids: missing})
				b.total += len(missing)
			}
		}
	}
	return b, nil
}

// markIndexed records that the accounts listed in full in b are indexed.
func (idx *Index) markIndexed(b backlog) error {
	for account, gen := range b.gens {
		if err := idx.store.SearchIndex().MarkIndexed(account, gen); err != nil {
			return err
		}
	}
	return nil
}

// searchFolders returns the synchronised folders of account: all of them,
// or only folder when it is set (none when the account lacks it).
func (idx *Index) searchFolders(account, folder string) ([]string, error) {
	if folder != "" {
		f, err := idx.store.Folders().Get(account, folder)
		if errors.Is(err, localstore.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return []string{f.Name}, nil
	}
	all, err := idx.store.Folders().List(account)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(all))
	for i, f := range all {
		out[i] = f.Name
	}
	return out, nil
}

// ownKeysTag identifies the set of own keys (which decrypt mail): the
// SHA-256 of their sorted fingerprints.
func (idx *Index) ownKeysTag() ([]byte, error) {
	owns, err := idx.store.OwnKeys().List()
	if err != nil {
		return nil, err
	}
	fprs := make([]string, len(owns))
	for i, k := range owns {
		fprs[i] = strings.ToUpper(k.Fingerprint)
	}
	slices.Sort(fprs)
	sum := sha256.Sum256([]byte(strings.Join(fprs, "\n")))
	return sum[:], nil
}

// sortedMinus returns the elements of a (ascending) that are not in b
// (ascending).
func sortedMinus(a, b []uint32) []uint32 {
	var out []uint32
	j := 0
	for _, x := range a {
		for j < len(b) && b[j] < x {
			j++
		}
		if j < len(b) && b[j] == x {
			continue
		}
		out = append(out, x)
	}
	return out
}

// indexer builds search records; it loads the own secret keys on the first
// message that needs decrypting. Call close to wipe them.
type indexer struct {
	idx *Index
	in  *keySession
}

func (idx *Index) newIndexer() *indexer { return &indexer{idx: idx} }

func (ix *indexer) close() {
	if ix.in != nil {
		ix.in.close()
		ix.in = nil
	}
}

// index indexes uids of the folder, checking ctx between messages and
// writing per searchBatch messages one transaction that shows the protected
// headers of decrypted mail in the summaries, then one with the search
// records: a crash between the two leaves the messages unindexed, and the
// next run does both again (showing the same headers twice is harmless).
func (ix *indexer) index(ctx context.Context, account, folder string, uids []uint32) error {
	docs := make([]localstore.SearchDoc, 0, min(len(uids), searchBatch))
	var reveal []localstore.ProtectedHeaders
	flush := func() error {
		err := ix.idx.store.Messages().ShowProtectedHeaders(account, folder, reveal)
		if err == nil {
			err = ix.idx.store.SearchIndex().PutBatch(account, folder, docs)
		}
		for i := range docs {
			clear(docs[i].Text)
		}
		docs = docs[:0]
		clear(reveal)
		reveal = reveal[:0]
		return err
	}
	for _, uid := range uids {
		if err := ctx.Err(); err != nil {
			return err
		}
		doc, shown, ok, err := ix.doc(account, folder, uid)
		if err != nil {
			return err
		}
		if ok {
			docs = append(docs, doc)
		}
		if shown.UID != 0 {
			reveal = append(reveal, shown)
		}
		if len(docs) == searchBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// doc builds the search record of one message from the store; ok is
// false when the message is gone. shown holds the protected Subject and
// From of a message that decrypted with integrity protection when its
// summary does not show them yet; else its UID is 0.
func (ix *indexer) doc(account, folder string, uid uint32) (doc localstore.SearchDoc, shown localstore.ProtectedHeaders, ok bool, err error) {
	s, err := ix.idx.store.Messages().Summary(account, folder, uid)
	if errors.Is(err, localstore.ErrNotFound) {
		return doc, shown, false, nil
	}
	if err != nil {
		return doc, shown, false, err
	}
	var raw []byte
	if !s.RawOmitted {
		raw, err = ix.idx.store.Messages().Raw(account, folder, uid)
		switch {
		case errors.Is(err, localstore.ErrNotFound):
			// The summary says stored, the body is not: index what there is.
		case err != nil:
			return doc, shown, false, err
		default:
			defer clear(raw)
		}
	}
	doc, shown, _, err = ix.build(s, raw)
	return doc, shown, err == nil, err
}

// build makes the search record of the message with summary s and, when
// its body is stored, raw (nil when not), with doc.Of set to the summary's
// identity; shown as for doc. v is raw's verdict, when raw was readable.
func (ix *indexer) build(s localstore.Summary, raw []byte) (doc localstore.SearchDoc, shown localstore.ProtectedHeaders, v *Verdict, err error) {
	doc = localstore.SearchDoc{UID: s.UID, Date: s.Date, Of: s.Identity()}
	if doc.Date.IsZero() {
		doc.Date = s.InternalDate
	}
	text := make([]byte, 0, 512)
	for _, f := range []string{s.From, s.To, s.Cc, s.Subject} {
		text = appendSearchText(text, f)
	}
	if raw == nil {
		doc.Text = text
		return doc, shown, nil, nil
	}
	doc.HasBody = true
	v, err = ix.inspect(raw)
	if err != nil {
		return doc, shown, nil, err
	}
	if v == nil || (v.Encrypted && !v.IntegrityProtected) {
		// Unreadable: not a message, or it does not decrypt (or lacks
		// integrity protection, so Sealpost does not show it either).
		doc.Unreadable = true
		doc.Text = text
		return doc, shown, nil, nil
	}
	if ph, ok := protectedOf(s.UID, *v); ok && (ph.Subject != s.Subject || ph.From != s.From || !s.Encrypted) {
		shown = ph
		shown.Of = s.Identity()
	}
	// One buffer big enough for all of it, so growing it leaves no copies
	// of decrypted text behind (case mapping rarely changes a length much).
	need := len(text) + len(v.From) + len(v.Subject) + len(v.BodyText) + 4
	for i := range v.Attachments {
		need += len(v.Attachments[i].Filename) + 1
	}
	full := append(make([]byte, 0, min(need+need/4, localstore.MaxSearchText+utf8.UTFMax+1)), text...)
	clear(text)
	full = appendSearchText(full, v.From)
	full = appendSearchText(full, v.Subject)
	for i := range v.Attachments {
		full = appendSearchText(full, v.Attachments[i].Filename)
		clear(v.Attachments[i].Data)
	}
	doc.Text = appendSearchText(full, v.BodyText)
	return doc, shown, v, nil
}

// indexNew returns the sync's Index hook for account (see
// imapsync.Options.Index): it builds the search record of each new message
// of a batch before the batch is stored, shows the real Subject and From of
// header-protected mail that decrypted with integrity protection in the
// summary that is stored, and, for INBOX, collects what the mail teaches
// about Autocrypt state in arrived (if set). The own keys are loaded per
// batch and wiped after it.
func (idx *Index) indexNew(account string, arrived *newMail) func(string, []localstore.Summary, []localstore.RawMessage) ([]localstore.SearchDoc, error) {
	return func(folder string, sums []localstore.Summary, raws []localstore.RawMessage) ([]localstore.SearchDoc, error) {
		// The records of this batch are made with the current own keys:
		// the index must know them before it holds such records.
		tag, err := idx.ownKeysTag()
		if err != nil {
			return nil, err
		}
		if _, err := idx.store.SearchIndex().RetryUnreadable(account, tag); err != nil {
			return nil, err
		}
		bodies := make(map[uint32][]byte, len(raws))
		for _, r := range raws {
			bodies[r.UID] = r.Raw
		}
		ix := idx.newIndexer()
		defer ix.close()
		docs := make([]localstore.SearchDoc, 0, len(sums))
		for i := range sums {
			raw := bodies[sums[i].UID]
			doc, shown, v, err := ix.build(sums[i], raw)
			if err != nil {
				return nil, err
			}
			doc.Of = localstore.MessageIdentity{} // stored with its summary
			if shown.UID != 0 {
				sums[i].Subject, sums[i].From, sums[i].Encrypted = shown.Subject, shown.From, true
			}
			docs = append(docs, doc)
			if arrived != nil && raw != nil && folder == inbox {
				var gossip []string
				if v != nil {
					gossip = v.Gossip
				}
				arrived.observe(idx.keys, raw, gossip)
			}
		}
		return docs, nil
	}
}

// inspect judges raw with the own keys, loading them on first use. A
// message that cannot be read at all yields nil and no error.
func (ix *indexer) inspect(raw []byte) (*Verdict, error) {
	if ix.in == nil {
		in, err := ix.idx.inspector.session()
		if err != nil {
			return nil, err
		}
		// The record holds the attachments' names, not their size or
		// digest: decoding them was a tenth of a sync's CPU.
		in.opts.AttachmentNamesOnly = true
		ix.in = in
	}
	v, err := ix.in.inspect(raw)
	if err != nil {
		return nil, nil
	}
	return &v, nil
}

// searchIndexed scans the index of the queried accounts and folders for
// records that contain every word, and returns their summaries newest first.
func (idx *Index) search(ctx context.Context, q SearchQuery, words [][]byte) ([]backend.MessageSummary, error) {
	accts, err := idx.accounts.selected(q.Account)
	if err != nil {
		return nil, err
	}
	type hit struct {
		account, folder string
		uid             uint32
		date            time.Time
	}
	var hits []hit
	foundFolder := q.Folder == ""
	for _, acct := range accts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if q.Folder != "" {
			if _, err := idx.store.Folders().Get(acct.Email, q.Folder); errors.Is(err, localstore.ErrNotFound) {
				continue
			} else if err != nil {
				return nil, err
			}
			foundFolder = true
		}
		seen := 0
		var scanErr error
		err := idx.store.SearchIndex().Scan(acct.Email, q.Folder, func(rec *localstore.SearchRecord) bool {
			if seen++; seen%1024 == 0 {
				if scanErr = ctx.Err(); scanErr != nil {
					return false
				}
			}
			if matchesAll(rec.Text, words) {
				hits = append(hits, hit{account: acct.Email, folder: rec.Folder, uid: rec.UID, date: rec.Date})
			}
			return true
		})
		if err == nil {
			err = scanErr
		}
		if err != nil {
			return nil, err
		}
	}
	if !foundFolder {
		return nil, fmt.Errorf("folder %q is %w", q.Folder, ErrFolderNotSynced)
	}
	slices.SortStableFunc(hits, func(a, b hit) int {
		if c := b.date.Compare(a.date); c != 0 {
			return c
		}
		if c := cmp.Compare(b.uid, a.uid); c != 0 {
			return c
		}
		return strings.Compare(a.folder, b.folder)
	})
	n := len(hits)
	if q.Limit > 0 {
		n = min(n, q.Limit)
	}
	out := make([]backend.MessageSummary, 0, n)
	for _, h := range hits {
		if q.Limit > 0 && len(out) == q.Limit {
			break
		}
		s, err := idx.store.Messages().Summary(h.account, h.folder, h.uid)
		if errors.Is(err, localstore.ErrNotFound) {
			continue // deleted since the scan
		}
		if err != nil {
			return nil, err
		}
		out = append(out, summaryOf(h.account, h.folder, s))
	}
	return out, nil
}

// summaryOf translates a stored summary into the domain type, the one
// place that does.
func summaryOf(account, folder string, s localstore.Summary) backend.MessageSummary {
	return backend.MessageSummary{
		Account: account, Folder: folder, UID: s.UID, MessageID: s.MessageID, InReplyTo: s.InReplyTo, References: s.References,
		From: s.From, To: s.To, Cc: s.Cc,
		Subject: s.Subject, Date: s.Date, Flags: s.Flags, Seen: hasFlag(s.Flags, `\Seen`), Flagged: hasFlag(s.Flags, `\Flagged`),
		Size: s.Size, HasAttachments: s.HasAttachments, Encrypted: s.Encrypted, Signed: s.Signed, Offline: !s.RawOmitted,
	}
}

// matchesAll reports whether every word occurs in text.
func matchesAll(text []byte, words [][]byte) bool {
	for _, w := range words {
		if !bytes.Contains(text, w) {
			return false
		}
	}
	return true
}

// searchWords splits a query into normalised words.
func searchWords(query string) [][]byte {
	var words [][]byte
	for _, f := range strings.Fields(string(appendSearchText(nil, query))) {
		words = append(words, []byte(f))
	}
	return words
}

// appendSearchText appends the normalised form of s to dst, separated from
// what dst holds by one space, and stops at localstore.MaxSearchText bytes.
// Normalised means: lower case; Latin letters without their accents (é is
// e, ł is l; also when the accent is a separate combining mark); every run
// of white space one space.
func appendSearchText(dst []byte, s string) []byte {
	sep := len(dst) > 0 && dst[len(dst)-1] != ' ' // a space is due before the next letter
	for i := 0; i < len(s) && len(dst) < localstore.MaxSearchText; {
		if c := s[i]; c < utf8.RuneSelf {
			// ASCII, most text: no rune decoding. A run of it that fits
			// below the cap whole (its normalised form is at most one
			// byte longer) goes in one loop without checking the cap.
			if room := localstore.MaxSearchText - len(dst) - 1; room > 0 {
				j := i + 1
				for j < len(s) && j-i < room && s[j] < utf8.RuneSelf {
					j++
				}
				dst, sep = appendASCIISearchText(dst, s[i:j], sep)
				i = j
				continue
			}
			i++
			if c == ' ' || ('\t' <= c && c <= '\r') {
				sep = len(dst) > 0
				continue
			}
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if sep {
				dst = append(dst, ' ')
				sep = false
			}
			dst = append(dst, c)
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case unicode.IsSpace(r):
			sep = len(dst) > 0
			continue
		case unicode.Is(unicode.Mn, r):
			continue // combining accents
		default:
			r = foldAccent(unicode.ToLower(r))
		}
		if sep {
			dst = append(dst, ' ')
			sep = false
		}
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}

// appendASCIISearchText appends the normalised form of the ASCII text s
// to dst, sep saying whether a space is due before the next letter, and
// returns dst and whether a space is due after it. It does not check the
// cap: dst grows by at most len(s)+1 bytes. The loop has no branch that
// depends on the text: each byte writes a space and itself, and moves on
// past what counts (white space mispredicted once a word).
func appendASCIISearchText(dst []byte, s string, sep bool) ([]byte, bool) {
	n := len(dst)
	dst = slices.Grow(dst, len(s)+1)
	out := dst[n : n+len(s)+1]
	w := 0
	var due, written uint8 // 1: a space is due; 1: dst holds a letter
	if sep {
		due = 1
	}
	if n > 0 {
		written = 1
	}
	for k := 0; k < len(s); k++ {
		c := s[k]
		letter := asciiLetter[c]
		out[w] = ' '
		w += int(due & letter)
		out[w] = asciiLower[c]
		w += int(letter)
		written |= letter
		due = (1 - letter) & written
	}
	return dst[:n+w], due == 1
}

// asciiLetter is 1 for the bytes that are not ASCII white space (space,
// and tab to carriage return), 0 for those that are.
var asciiLetter = func() (t [256]uint8) {
	for c := range t {
		t[c] = 1
	}
	for _, c := range " \t\n\v\f\r" {
		t[c] = 0
	}
	return t
}()

// asciiLower maps ASCII upper-case letters to lower case, other bytes to
// themselves.
var asciiLower = func() (t [256]byte) {
	for c := range t {
		t[c] = byte(c)
		if 'A' <= c && c <= 'Z' {
			t[c] += 'a' - 'A'
		}
	}
	return t
}()

// Base letters of U+00E0..U+00FF and U+0100..U+017F; '_' keeps the letter
// (æ, ð, ÷, þ, ĳ, œ).
const (
	latin1Fold = "aaaaaa_ceeeeiiii_nooooo_ouuuuy_y"
	latinAFold = "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiii__jjkkkllllllllllnnnnnnnnnoooooo__rrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs"
)

// foldAccent maps an accented Latin letter (lower case, or both cases in
// Latin Extended-A) to its base letter.
func foldAccent(r rune) rune {
	var c byte = '_'
	switch {
	case 0xE0 <= r && r <= 0xFF:
		c = latin1Fold[r-0xE0]
	case 0x100 <= r && r <= 0x17F:
		c = latinAFold[r-0x100]
	}
	if c == '_' {
		return r
	}
	return rune(c)
}
