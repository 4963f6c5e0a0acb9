package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sealpost/sealpost/mail/backend"
)

// auditViewer is the audit trail window: the verification result in words
// above the entries, newest first, which a filter narrows to those that
// mention one contact (an address or a key fingerprint).
type auditViewer struct {
	ui     *App
	window fyne.Window
	trail  backend.AuditTrail
	// shown are the entries of trail that the filter lets through; count
	// says how many of all, while a filter is set.
	shown   []backend.AuditEntry
	filter  *widget.Entry
	count   *widget.Label
	result  *widget.Label
	list    *widget.List
	refresh *widget.Button
}

// showAudit opens the audit trail window (or raises it). Backends without
// an audit trail get a window that says so.
func (ui *App) showAudit() {
	s := ui.settingsOf()
	if s.audit != nil {
		s.audit.window.RequestFocus()
		return
	}
	av := &auditViewer{ui: ui, window: ui.sideWindow("Audit trail", func() { s.audit = nil })}
	s.audit = av
	av.result = widget.NewLabel("Verifying the audit trail…")
	av.result.TextStyle.Bold = true
	av.list = widget.NewList(func() int { return len(av.shown) }, newAuditRow, func(id widget.ListItemID, o fyne.CanvasObject) {
		if id < len(av.shown) {
			o.(*auditRow).show(av.shown[id])
		}
	})
	av.refresh = widget.NewButtonWithIcon("Verify again", theme.ViewRefreshIcon(), av.load)
	av.filter = widget.NewEntry()
	av.filter.SetPlaceHolder("Filter by contact: an address or a key fingerprint")
	av.filter.OnChanged = func(string) { av.applyFilter() }
	av.count = widget.NewLabel("")
	av.count.Hide()
	intro := widget.NewLabel("Mail sent (by whom, to whom, protected how) and key, profile and certificate changes, " +
		"newest first; each entry carries the hash of the one before it.")
	intro.Wrapping = fyne.TextWrapWord
	top := container.NewVBox(intro, container.NewBorder(nil, nil, nil, av.refresh, av.result),
		container.NewBorder(nil, nil, widget.NewIcon(theme.SearchIcon()), nil, av.filter), av.count, widget.NewSeparator())
	av.window.SetContent(container.NewBorder(top, nil, nil, nil, av.list))
	fitWindow(av.window, fyne.NewSize(820, 520))
	av.window.Show()
	av.load()
}

// load reads and verifies the trail off the UI goroutine.
func (av *auditViewer) load() {
	sb, ok := av.ui.backend.(backend.Settings)
	if !ok {
		av.result.SetText("This backend keeps no audit trail.")
		av.refresh.Disable()
		return
	}
	av.refresh.Disable()
	var trail backend.AuditTrail
	av.ui.tasks.run(av.ui.context(), func(ctx context.Context) (err error) { trail, err = sb.AuditTrail(ctx); return err }, func(err error) {
		av.refresh.Enable()
		if err != nil {
			av.trail = backend.AuditTrail{}
			av.result.SetText("Cannot read the audit trail: " + readable(err))
		} else {
			av.trail = trail
			av.result.SetText(auditSummary(trail))
			if trail.Intact {
				av.result.Importance = widget.SuccessImportance
			} else {
				av.result.Importance = widget.DangerImportance
			}
		}
		av.result.Refresh()
		av.applyFilter()
	})
}

// applyFilter shows the entries that mention the filter's contact, or all
// of them when it is empty, and says how many match.
func (av *auditViewer) applyFilter() {
	contact := strings.TrimSpace(av.filter.Text)
	av.shown = av.shown[:0]
	for _, e := range av.trail.Entries {
		if e.Mentions(contact) {
			av.shown = append(av.shown, e)
		}
	}
	if contact == "" {
		av.count.Hide()
	} else {
		av.count.SetText(fmt.Sprintf("%d of %d entries mention %s", len(av.shown), len(av.trail.Entries), contact))
		av.count.Show()
	}
	av.list.UnselectAll()
	av.list.Refresh()
}

// auditSummary says in words what verifying the audit trail found, one
// problem a line.
func auditSummary(t backend.AuditTrail) string {
	n := fmt.Sprintf("%d entries", len(t.Entries))
	if len(t.Entries) == 1 {
		n = "1 entry"
	}
	if t.Intact {
		return "Intact: " + n + ", every link of the hash chain verified."
	}
	if len(t.Entries) == 0 {
		return "Broken, the entries cannot be shown:\n" + strings.Join(t.Problems, "\n")
	}
	return "Broken:\n" + strings.Join(t.Problems, "\n")
}

// auditRow is one entry of the audit trail: time, kind, subject on the
// first line, the detail below.
type auditRow struct {
	widget.BaseWidget
	when, kind, subject, detail *widget.Label
}

func newAuditRow() fyne.CanvasObject {
	r := &auditRow{
		when: widget.NewLabel(""), kind: widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		subject: widget.NewLabel(""), detail: widget.NewLabel(""),
	}
	r.subject.Truncation = fyne.TextTruncateEllipsis
	r.detail.Truncation = fyne.TextTruncateEllipsis
	r.ExtendBaseWidget(r)
	return r
}

// CreateRenderer lays the row out in two lines.
func (r *auditRow) CreateRenderer() fyne.WidgetRenderer {
	top := container.NewBorder(nil, nil, container.NewHBox(r.when, r.kind), nil, r.subject)
	return widget.NewSimpleRenderer(container.New(&rowLayout{}, top, r.detail))
}

func (r *auditRow) show(e backend.AuditEntry) {
	r.when.SetText(fmt.Sprintf("#%d  %s", e.Seq, auditTime(e.Time)))
	r.kind.SetText(e.Kind)
	subject := e.Subject
	if isFingerprint(subject) {
		subject = backend.GroupFingerprint(subject)
	}
	r.subject.SetText(subject)
	// A sent message's detail already says how it was protected and
	// travelled (its SendRecord, kept for the hash, says it again).
	r.detail.SetText(e.Detail)
	r.Refresh() // the labels' widths changed: lay the row out again
}

// isFingerprint reports whether s is a v4 or v6 key fingerprint in hex.
func isFingerprint(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	return strings.Trim(strings.ToUpper(s), "0123456789ABCDEF") == ""
}

// auditTime formats an audit entry's time in the local zone.
func auditTime(t time.Time) string { return t.Local().Format("2006-01-02 15:04:05") }
