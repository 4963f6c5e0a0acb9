package localstore

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

const (
	crashDirEnv   = "SEALPOST_LOCALSTORE_CRASH_DIR"
	crashBatch    = 250
	crashMaxBatch = 100000 // never reached: the parent kills the child first
	crashAcct     = "crash@example.org"
	crashFolder   = "INBOX"
)

// crashSummary is the deterministic content of UID uid in the crash test.
func crashSummary(uid uint32) Summary {
	return Summary{UID: uid, Subject: fmt.Sprintf("crash subject %d", uid), From: "x@example.org",
		Preview: strings.Repeat("p", 300), Size: uid}
}

// TestCrashChild is the child process of TestCrashAtomicBatches; it does
// nothing unless started by it.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("helper process for TestCrashAtomicBatches")
	}
	s, err := Open(dir, testPass, testOpts())
	if err != nil {
		t.Fatalf("child Open: %v", err)
	}
	n, err := s.Messages().CountSummaries(crashAcct, crashFolder)
	if err != nil {
		t.Fatalf("child count: %v", err)
	}
	for b := n / crashBatch; b < crashMaxBatch; b++ {
		batch := make([]Summary, crashBatch)
		for i := range batch {
			batch[i] = crashSummary(uint32(b*crashBatch + i + 1))
		}
		if err := s.Messages().PutSummaries(crashAcct, crashFolder, batch); err != nil {
			t.Fatalf("child PutSummaries: %v", err)
		}
		fmt.Fprintf(os.Stdout, "committed %d\n", b+1)
	}
}

// TestCrashAtomicBatches kills a writing child with SIGKILL several times and
// checks that every batch reported as committed survives, fully readable, and
// that no partial batch is ever visible.
func TestCrashAtomicBatches(t *testing.T) {
	s := newTestStore(t)
	dir := s.Dir()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	const rounds, killAfter = 3, 4
	reported := 0
	for round := range rounds {
		reported = crashRound(t, dir, reported, killAfter)
		s, err := Open(dir, testPass, testOpts())
		if err != nil {
			t.Fatalf("round %d: Open after kill: %v", round, err)
		}
		n, err := s.Messages().CountSummaries(crashAcct, crashFolder)
		if err != nil {
			t.Fatalf("round %d: count: %v", round, err)
		}
		if n%crashBatch != 0 {
			t.Errorf("round %d: %d summaries present, a partial batch (batch size %d)", round, n, crashBatch)
		}
		if n < reported*crashBatch {
			t.Errorf("round %d: %d summaries present, want at least %d (%d batches reported committed)",
				round, n, reported*crashBatch, reported)
		}
		newest, err := s.Messages().Newest(crashAcct, crashFolder, 1)
		if err != nil || len(newest) != 1 || int(newest[0].UID) != n {
			t.Errorf("round %d: newest = %+v, %v, want UID %d", round, newest, err, n)
		}
		for uid := uint32(1); uid <= uint32(n); uid++ {
			got, err := s.Messages().Summary(crashAcct, crashFolder, uid)
			if err != nil {
				t.Fatalf("round %d: Summary(%d): %v", round, uid, err)
			}
			if want := crashSummary(uid); got.Subject != want.Subject || got.Preview != want.Preview {
				t.Fatalf("round %d: Summary(%d) = %+v, want %+v", round, uid, got, want)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		reported = n / crashBatch
	}
}

// crashRound starts the child, waits until it reports killAfter more commits
// than before, kills it with SIGKILL and returns the last reported count.
func crashRound(t *testing.T, dir string, before, killAfter int) int {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+filepath.Clean(dir))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start child: %v", err)
	}
	last := before
	sc := bufio.NewScanner(out)
	var lines []string
	for sc.Scan() {
		line := sc.Text()
		lines = append(lines, line)
		num, ok := strings.CutPrefix(line, "committed ")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(num)
		if err != nil {
			t.Fatalf("child printed %q", line)
		}
		last = n
		if n >= before+killAfter {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatalf("kill child: %v", err)
			}
			break
		}
	}
	for sc.Scan() {
		lines = append(lines, sc.Text()) // drain until the pipe closes
	}
	err = cmd.Wait()
	if last < before+killAfter {
		t.Fatalf("child stopped after %d batches: %v\nstdout: %s\nstderr: %s", last, err, strings.Join(lines, "\n"), stderr.String())
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v, want killed by SIGKILL", err)
	}
	return last
}
