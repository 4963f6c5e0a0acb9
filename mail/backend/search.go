package backend

import "context"

// Search is what a backend may offer beyond Backend to search the local
// cache, including inside encrypted mail. It is optional: without it the UI
// filters only the messages it has loaded.
type Search interface {
	// Search returns the stored messages that match q, newest first. Before
	// searching it brings the sealed search index up to date (decrypting
	// messages that are not indexed yet) and reports that work through
	// progress, which may be nil.
	Search(ctx context.Context, q SearchQuery, progress func(IndexProgress)) ([]MessageSummary, error)
}

// SearchQuery says what to look for and where.
type SearchQuery struct {
	// Text holds the words to find. A message matches when every word
	// occurs, ignoring case, in its sender, recipients, subject,
	// attachment names or text (the decrypted text of encrypted mail).
	Text string
	// Account and Folder narrow the search; empty means every account or
	// every folder.
	Account, Folder string
	// Limit caps the results; 0 means no cap.
	Limit int
}

// IndexProgress reports how far bringing the search index up to date is.
type IndexProgress struct {
	Done, Total int
}
