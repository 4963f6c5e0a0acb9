package mail

import (
	"reflect"
	"testing"

	"github.com/sealpost/sealpost/mail/backend"
)

// TestEnginePreferencesTheme: the theme is kept with the other settings,
// and a theme the app does not know is refused without changing them.
func TestEnginePreferencesTheme(t *testing.T) {
	e := newSetupEngine(t)
	for _, tt := range []struct {
		name, theme string
		wantErr     bool
	}{
		{"dark", backend.ThemeDark, false},
		{"light", backend.ThemeLight, false},
		{"system", "", false},
		{"unknown", "solarized", true},
		{"wrong case", "Dark", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := e.SavePreferences(t.Context(), backend.Preferences{AutoLockMinutes: 5, Theme: backend.ThemeDark}); err != nil {
				t.Fatal(err)
			}
			err := e.SavePreferences(t.Context(), backend.Preferences{AutoLockMinutes: 7, Theme: tt.theme})
			if (err != nil) != tt.wantErr {
				t.Fatalf("SavePreferences(theme %q) got = %v, want error %v", tt.theme, err, tt.wantErr)
			}
			want := backend.Preferences{AutoLockMinutes: 7, Theme: tt.theme}
			if tt.wantErr {
				want = backend.Preferences{AutoLockMinutes: 5, Theme: backend.ThemeDark}
			}
			if got, err := e.Preferences(t.Context()); err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("Preferences got = %+v, %v, want %+v", got, err, want)
			}
		})
	}
}
