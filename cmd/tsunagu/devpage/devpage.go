// Package devpage holds the `tsunagu dev` playground's page: plain HTML,
// CSS and a little JavaScript, embedded so that the binary needs no build
// step and the page loads nothing from the internet.
package devpage

import "embed"

// Files is the page: static/index.html, static/app.js, static/style.css.
//
//go:embed static
var Files embed.FS
