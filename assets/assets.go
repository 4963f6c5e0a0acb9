// Package assets holds Sealpost's bundled resources: the application icon in
// SVG and PNG form. It exposes plain bytes so that only the UI layer decides
// how to wrap them.
package assets

import _ "embed"

// IconPNG is the 512 x 512 application icon.
//
//go:embed icon.png
var IconPNG []byte

// IconSVG is the scalable source of the application icon.
//
//go:embed icon.svg
var IconSVG []byte
