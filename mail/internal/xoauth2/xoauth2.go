// Package xoauth2 is the XOAUTH2 SASL mechanism (Google's and Microsoft's
// OAuth 2.0 login for IMAP and SMTP), which go-sasl does not provide.
package xoauth2

import (
	"errors"

	"github.com/emersion/go-sasl"
)

// Mechanism is the SASL mechanism name.
const Mechanism = "XOAUTH2"

// ErrRejected is returned when the server answers the token with a
// challenge, which in XOAUTH2 carries the reason the token was refused.
var ErrRejected = errors.New("the server refused the OAuth2 token")

type client struct{ username, token string }

// NewClient returns a SASL client that logs in as username with an OAuth2
// access token.
func NewClient(username, token string) sasl.Client { return &client{username, token} }

func (c *client) Start() (string, []byte, error) {
	return Mechanism, []byte("user=" + c.username + "\x01auth=Bearer " + c.token + "\x01\x01"), nil
}

// Next answers the server's error challenge with an empty response, as the
// mechanism requires, and reports the refusal.
func (c *client) Next(challenge []byte) ([]byte, error) {
	if len(challenge) > 0 {
		return []byte{}, ErrRejected
	}
	return nil, ErrRejected
}
