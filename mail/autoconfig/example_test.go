package autoconfig_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/sealpost/sealpost/mail/autoconfig"
)

// Wiring a Discoverer: the system resolver, the default HTTPS client and a
// Prober that the application builds on its TLS transport (a stand-in
// here, which confirms nothing).
func ExampleDiscoverer_Discover() {
	d := &autoconfig.Discoverer{
		Resolver: net.DefaultResolver,
		Probe: func(ctx context.Context, protocol string, s autoconfig.Server) error {
			return fmt.Errorf("no transport in this example for %s %s", protocol, s)
		},
		Timeout: 30 * time.Second,
	}
	st, err := d.Discover(context.Background(), "alice@example.com")
	var nf *autoconfig.NotFoundError
	switch {
	case errors.As(err, &nf):
		fmt.Println("enter the settings by hand; found so far:", nf.Partial.IMAP, nf.Partial.SMTP)
	case err != nil:
		fmt.Println(err)
	case !st.Confirmed:
		fmt.Println("ask the user to confirm", st.IMAP, st.SMTP, st.Notes)
	default:
		fmt.Println("use", st.IMAP, st.SMTP, "as", st.Username)
	}
}
