package transport_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/sealpost/sealpost/mail/transport"
)

// An IMAP session over STARTTLS: the client starts on the returned
// connection as on a fresh one, and asks for the capabilities over TLS.
func ExampleDialIMAP() {
	conn, state, err := transport.DialIMAP(context.Background(), "imap.example.com", 143,
		transport.SecurityStartTLS, transport.Policy{})
	if certErr, ok := errors.AsType[*transport.CertificateError](err); ok {
		fmt.Println("not trusted; the user may pin SHA-256", certErr.SHA256)
		return
	} else if err != nil {
		fmt.Println(err)
		return
	}
	c := imapclient.New(conn, nil)
	defer c.Close()
	fmt.Println("secured with", state.Version, state.CipherSuite)
	if err := c.Login("alice", "app password").Wait(); err != nil {
		fmt.Println(err)
	}
}

// An SMTP submission over implicit TLS, with a certificate the user pinned.
func ExampleDialSMTP() {
	pin := transport.Pin{Host: "smtp.example.com", Port: 465,
		SHA256: "5E:FF:AA:CB:7F:B1:3E:75:AC:A8:1D:9D:1E:8F:11:C3:D4:54:9F:EE:A8:F4:88:36:C6:80:91:03:7C:28:29:34"}
	conn, _, err := transport.DialSMTP(context.Background(), "smtp.example.com", 465,
		transport.SecurityTLS, transport.Policy{Pins: []transport.Pin{pin}}, "laptop.example.com")
	if err != nil {
		fmt.Println(err)
		return
	}
	c := smtp.NewClient(conn)
	defer c.Close()
	if err := c.Hello("laptop.example.com"); err != nil {
		fmt.Println(err)
		return
	}
	if err := c.Auth(sasl.NewPlainClient("", "alice", "app password")); err != nil {
		fmt.Println(err)
	}
}
