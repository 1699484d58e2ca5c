package main

// The time zone database in the binary: the container image (distroless
// static) and other minimal systems may have none, and every schedule and
// quiet hour is local time (Asia/Tokyo by default).
import _ "time/tzdata"
