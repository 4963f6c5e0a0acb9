package localstore

import (
	"reflect"
	"testing"
)

func TestSettingsKeepSizeCap(t *testing.T) {
	s := newTestStore(t)
	if got, err := s.GetSettings(); err != nil || got.MaxMessageMB != 0 {
		t.Fatalf("new profile: got = %d, %v, want 0 (the sync's default), nil", got.MaxMessageMB, err)
	}
	want := DefaultSettings()
	want.MaxMessageMB = 5
	if err := s.PutSettings(want); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, s)
	if got, err := s.GetSettings(); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("after reopen: got = %+v, %v, want %+v, nil", got, err, want)
	}
}
