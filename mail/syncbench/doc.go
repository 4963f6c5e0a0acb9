// Package syncbench measures Sealpost's IMAP sync against two yardsticks on
// the same loopback Dovecot over TLS, in one run:
//
//   - the limit: a minimal go-imap v2 client that only fetches, pipelined,
//     what the sync needs (envelope, flags, internal date, size, body
//     structure and, for a full sync, BODY.PEEK[]) and throws it away;
//   - the peer: mbsync (Debian package isync) syncing the same folder into
//     an empty Maildir.
//
// Run the benchmarks with
//
//	go test -run '^$' -bench . -benchtime 1x -timeout 60m ./mail/syncbench
//
// BenchmarkFullSync fills INBOX with 10,000 messages and times a full
// offline sync and a no-change resync; BenchmarkHeadersOnly fills INBOX with
// 100,000 messages and times a headers-only sync together with the peak RSS
// of the process that runs it. Sealpost's syncs run in a child process (the
// test binary re-executed), so their peak RSS is theirs alone. Each reports
// its times and the ratios ours/limit and ours/mbsync as benchmark metrics
// and logs a table. TestSmoke runs every piece once on 50 messages, so the
// ordinary test run proves the benchmark code works.
//
// The package holds no code outside its tests; it needs Dovecot and
// Postfix (see package testservers) and mbsync, so its tests build on
// Linux only.
package syncbench
