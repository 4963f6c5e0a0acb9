package mail

import (
	"context"

	"github.com/sealpost/sealpost/mail/backend"
)

// Search brings the search index of the queried accounts and folders up to
// date, then returns the matching messages newest first (see
// Index.Search). progress, which may be nil, is called with Done 0 and
// the number of messages to index before indexing (Total 0: nothing to
// do), then after each batch.
// Indexing runs in batches, each holding the profile only for itself, so a
// Lock during a long first indexing run waits for one batch at most; the
// search then fails with ErrProfileLocked.
func (e *Engine) Search(ctx context.Context, q backend.SearchQuery, progress func(backend.IndexProgress)) ([]backend.MessageSummary, error) {
	words := searchWords(q.Text)
	if len(words) == 0 {
		return nil, ErrEmptySearch
	}
	err := e.updateSearchIndex(ctx, q.Account, q.Folder, func(done, total int) {
		if progress != nil {
			progress(backend.IndexProgress{Done: done, Total: total})
		}
	})
	if err != nil {
		return nil, err
	}
	var out []backend.MessageSummary
	err = e.with(ctx, func(p *Profile) (err error) {
		out, err = p.index.search(ctx, q, words)
		return err
	})
	return out, err
}

// updateSearchIndex indexes what is missing in account and folder (all when
// empty), one batch per hold of the profile. progress is called once before
// the first batch and after each. Accounts without a backlog cost one read
// (see Index.Update).
func (e *Engine) updateSearchIndex(ctx context.Context, account, folder string, progress func(done, total int)) error {
	var b backlog
	err := e.with(ctx, func(p *Profile) (err error) {
		b, err = p.index.pending(account, folder)
		return err
	})
	if err != nil {
		return err
	}
	if progress != nil {
		progress(0, b.total)
	}
	done := 0
	for _, job := range b.jobs {
		for start := 0; start < len(job.uids); start += searchBatch {
			chunk := job.uids[start:min(len(job.uids), start+searchBatch)]
			err := e.with(ctx, func(p *Profile) error {
				ix := p.index.newIndexer()
				defer ix.close()
				return ix.index(ctx, job.account, job.folder, chunk)
			})
			if err != nil {
				return err
			}
			done += len(chunk)
			if progress != nil {
				progress(done, b.total)
			}
		}
	}
	return e.with(ctx, func(p *Profile) error { return p.index.markIndexed(b) })
}

// The engine offers search over the local cache.
var _ backend.Search = (*Engine)(nil)
