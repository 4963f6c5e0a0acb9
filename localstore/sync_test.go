package localstore

import (
	"errors"
	"slices"
	"testing"
)

func TestPutBatchAndUIDs(t *testing.T) {
	s := newTestStore(t)
	m := s.Messages()
	const acct, folder = "a@example.org", "INBOX"
	if uid, err := m.MaxUID(acct, folder); err != nil || uid != 0 {
		t.Fatalf("MaxUID of an empty folder = %d, %v; want 0, nil", uid, err)
	}
	sums := []Summary{{UID: 3, Subject: "three"}, {UID: 9, Subject: "nine", RawOmitted: true}, {UID: 5, Subject: "five"}}
	raws := []RawMessage{{UID: 3, Raw: []byte("raw three")}, {UID: 5, Raw: []byte("raw five")}}
	if err := m.PutBatch(acct, folder, sums, raws); err != nil {
		t.Fatal(err)
	}
	// Idempotent: a resumed sync may store the same batch again.
	if err := m.PutBatch(acct, folder, sums, raws); err != nil {
		t.Fatal(err)
	}
	uids, err := m.UIDs(acct, folder)
	if err != nil || !slices.Equal(uids, []uint32{3, 5, 9}) {
		t.Errorf("UIDs = %v, %v; want [3 5 9], nil", uids, err)
	}
	if uid, err := m.MaxUID(acct, folder); err != nil || uid != 9 {
		t.Errorf("MaxUID = %d, %v; want 9, nil", uid, err)
	}
	if raw, err := m.Raw(acct, folder, 5); err != nil || string(raw) != "raw five" {
		t.Errorf("Raw(5) = %q, %v; want %q", raw, err, "raw five")
	}
	if _, err := m.Raw(acct, folder, 9); !errors.Is(err, ErrNotFound) {
		t.Errorf("Raw(9) error = %v, want ErrNotFound", err)
	}
	if err := m.PutBatch(acct, folder, []Summary{{UID: 0}}, nil); err == nil {
		t.Error("PutBatch with UID 0: got nil error")
	}
}

func TestPutFetchedRaw(t *testing.T) {
	s := newTestStore(t)
	m := s.Messages()
	const acct, folder = "a@example.org", "INBOX"
	if err := m.PutBatch(acct, folder, []Summary{{UID: 4, RawOmitted: true}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := m.PutFetchedRaw(acct, folder, 4, []byte("the body")); err != nil {
		t.Fatal(err)
	}
	if sum, err := m.Summary(acct, folder, 4); err != nil || sum.RawOmitted {
		t.Errorf("summary after PutFetchedRaw = %+v, %v; want RawOmitted false", sum, err)
	}
	if raw, err := m.Raw(acct, folder, 4); err != nil || string(raw) != "the body" {
		t.Errorf("Raw = %q, %v; want %q", raw, err, "the body")
	}
	if err := m.PutFetchedRaw(acct, folder, 5, []byte("x")); !errors.Is(err, ErrNotFound) {
		t.Errorf("PutFetchedRaw for an unknown UID: error = %v, want ErrNotFound", err)
	}
	if _, err := m.Raw(acct, folder, 5); !errors.Is(err, ErrNotFound) {
		t.Errorf("Raw of the unknown UID: error = %v, want ErrNotFound (nothing stored)", err)
	}
}

func TestUpdateTransports(t *testing.T) {
	s := newTestStore(t)
	m := s.Messages()
	const acct, folder = "a@example.org", "INBOX"
	if err := m.PutBatch(acct, folder, []Summary{{UID: 4, Subject: "four", Flags: []string{`\Seen`}}, {UID: 6}}, nil); err != nil {
		t.Fatal(err)
	}
	rec := []byte(`{"hops":[{"by":"mx.example.net"}]}`)
	n, err := m.UpdateTransports(acct, folder, []TransportUpdate{{UID: 4, New: rec}, {UID: 5, New: rec}})
	if err != nil || n != 1 {
		t.Fatalf("UpdateTransports = %d, %v; want 1 changed (UID 5 does not exist)", n, err)
	}
	sum, err := m.Summary(acct, folder, 4)
	if err != nil || string(sum.Transport) != string(rec) || sum.Subject != "four" || len(sum.Flags) != 1 {
		t.Errorf("summary after UpdateTransports = %+v, %v; want the record and the rest kept", sum, err)
	}
	// An update based on a record that changed meanwhile is skipped.
	newer := []byte(`{"hops":[]}`)
	n, err = m.UpdateTransports(acct, folder, []TransportUpdate{{UID: 4, Old: nil, New: newer}, {UID: 6, Old: rec, New: newer}})
	if err != nil || n != 0 {
		t.Errorf("stale updates: UpdateTransports = %d, %v; want none changed", n, err)
	}
	if sum, _ := m.Summary(acct, folder, 4); string(sum.Transport) != string(rec) {
		t.Errorf("record after a stale update = %s, want %s kept", sum.Transport, rec)
	}
	if n, err = m.UpdateTransports(acct, folder, []TransportUpdate{{UID: 4, Old: rec, New: newer}}); err != nil || n != 1 {
		t.Errorf("UpdateTransports from the current record = %d, %v; want 1", n, err)
	}
}

func TestSetFlags(t *testing.T) {
	s := newTestStore(t)
	m := s.Messages()
	const acct, folder = "a@example.org", "Work"
	if err := m.PutSummaries(acct, folder, []Summary{{UID: 1, Flags: []string{`\Seen`}}, {UID: 2}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		flags map[uint32][]string
		want1 []string
		want2 []string
	}{
		{"change one", map[uint32][]string{2: {`\Flagged`}}, []string{`\Seen`}, []string{`\Flagged`}},
		{"unchanged and absent", map[uint32][]string{1: {`\Seen`}, 77: {`\Seen`}}, []string{`\Seen`}, []string{`\Flagged`}},
		{"clear", map[uint32][]string{1: {}}, []string{}, []string{`\Flagged`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := m.SetFlags(acct, folder, tt.flags); err != nil {
				t.Fatal(err)
			}
			for uid, want := range map[uint32][]string{1: tt.want1, 2: tt.want2} {
				got, err := m.Summary(acct, folder, uid)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got.Flags, want) {
					t.Errorf("flags of %d = %q, want %q", uid, got.Flags, want)
				}
			}
		})
	}
}

func TestEditFlags(t *testing.T) {
	tests := []struct {
		name               string
		flags, add, remove []string
		want               []string
	}{
		{"add", []string{`\Seen`}, []string{`\Flagged`}, nil, []string{`\Seen`, `\Flagged`}},
		{"add present, other case", []string{`\Seen`}, []string{`\seen`}, nil, []string{`\Seen`}},
		{"remove", []string{`\Seen`, `\Flagged`}, nil, []string{`\SEEN`}, []string{`\Flagged`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := editFlags(tt.flags, tt.add, tt.remove); !slices.Equal(got, tt.want) {
				t.Errorf("editFlags = %q, want %q", got, tt.want)
			}
		})
	}
}
