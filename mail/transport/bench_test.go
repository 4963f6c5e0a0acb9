package transport

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"testing"

	"github.com/emersion/go-imap/v2/imapclient"
)

// BenchmarkIMAPSetup measures a complete IMAP connection setup, up to the
// capabilities known over TLS, against go-imap's in-memory server: ours
// (byte-by-byte STARTTLS, then imapclient.New) next to imapclient.NewStartTLS.
func BenchmarkIMAPSetup(b *testing.B) {
	pki := newPKI(b)
	cfg := serverConfig(pki.leaf, pki.intermediate)
	b.Run("transport STARTTLS", func(b *testing.B) {
		d, _ := startIMAPServer(b, cfg, false)
		p := Policy{RootCAs: pki.roots(), Dialer: d}
		for b.Loop() {
			conn, _, err := DialIMAP(context.Background(), testHost, 143, SecurityStartTLS, p)
			if err != nil {
				b.Fatal(err)
			}
			c := imapclient.New(conn, nil)
			if c.Caps() == nil {
				b.Fatal("no capabilities")
			}
			c.Close()
		}
	})
	b.Run("transport implicit TLS", func(b *testing.B) {
		d, _ := startIMAPServer(b, cfg, true)
		p := Policy{RootCAs: pki.roots(), Dialer: d}
		for b.Loop() {
			conn, _, err := DialIMAP(context.Background(), testHost, 993, SecurityTLS, p)
			if err != nil {
				b.Fatal(err)
			}
			c := imapclient.New(conn, nil)
			if c.Caps() == nil {
				b.Fatal("no capabilities")
			}
			c.Close()
		}
	})
	b.Run("imapclient.NewStartTLS", func(b *testing.B) {
		d, _ := startIMAPServer(b, cfg, false)
		opts := &imapclient.Options{TLSConfig: &tls.Config{RootCAs: pki.roots(), ServerName: testHost, MinVersion: tls.VersionTLS12}}
		for b.Loop() {
			conn, err := d.DialContext(context.Background(), "tcp", "")
			if err != nil {
				b.Fatal(err)
			}
			c, err := imapclient.NewStartTLS(conn, opts)
			if err != nil {
				b.Fatal(err)
			}
			if c.Caps() == nil {
				b.Fatal("no capabilities")
			}
			c.Close()
		}
	})
}

// BenchmarkStallGuardRead compares reading a stream through go-imap's
// buffered reader on the connection DialIMAP returns (with the stall
// guard, busy) and on the TLS connection under it: the guard's cost per
// read.
func BenchmarkStallGuardRead(b *testing.B) {
	for _, guarded := range []bool{true, false} {
		name := "TLS only"
		if guarded {
			name = "stall guard"
		}
		b.Run(name, func(b *testing.B) {
			port, pol := rawServer(b, func(c *tls.Conn, stop <-chan struct{}) {
				chunk := make([]byte, 64<<10)
				for {
					select {
					case <-stop:
						return
					default:
					}
					if _, err := c.Write(chunk); err != nil {
						return
					}
				}
			})
			conn, _, err := DialIMAP(context.Background(), "127.0.0.1", port, SecurityTLS, pol)
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			var r io.Reader = conn
			if !guarded {
				r = conn.Conn
			}
			br := bufio.NewReaderSize(r, 4096)
			buf := make([]byte, 1<<20)
			b.SetBytes(int64(len(buf)))
			for b.Loop() {
				if _, err := io.ReadFull(br, buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
