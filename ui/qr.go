package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	qrcode "github.com/skip2/go-qrcode"
)

// fingerprintQRSize is the side of the fingerprint QR code on screen.
const fingerprintQRSize = 180

// fingerprintQRContent is what the fingerprint QR code holds: the
// OpenKeychain "OPENPGP4FPR:" form with the fingerprint in upper-case hex,
// which QR's compact alphanumeric mode can encode.
func fingerprintQRContent(fpr string) string {
	return "OPENPGP4FPR:" + strings.ToUpper(strings.Join(strings.Fields(fpr), ""))
}

// fingerprintQR encodes fpr for a phone to scan. The image is built in
// memory only.
func fingerprintQR(fpr string) (*qrcode.QRCode, error) {
	q, err := qrcode.New(fingerprintQRContent(fpr), qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("encode the fingerprint as a QR code: %w", err)
	}
	return q, nil
}

// fingerprintQRImage is the fingerprint QR code as a canvas image, drawn with
// sharp module edges at fingerprintQRSize.
func fingerprintQRImage(fpr string) (*canvas.Image, error) {
	q, err := fingerprintQR(fpr)
	if err != nil {
		return nil, err
	}
	img := canvas.NewImageFromImage(q.Image(fingerprintQRSize))
	img.FillMode = canvas.ImageFillContain
	img.ScaleMode = canvas.ImageScalePixels
	img.SetMinSize(fyne.NewSize(fingerprintQRSize, fingerprintQRSize))
	return img, nil
}
