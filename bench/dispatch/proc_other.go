//go:build !linux

package main

import (
	"errors"
	"syscall"
)

func childAttr() *syscall.SysProcAttr { return nil }

func procMemory(pid int) (peak, now int64, err error) {
	return 0, 0, errors.New("peak RSS is read from /proc: Linux only")
}
