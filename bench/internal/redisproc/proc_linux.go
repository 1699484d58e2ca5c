//go:build linux

package redisproc

import "syscall"

// ChildAttr makes a child process die with the benchmark, even when the
// benchmark itself is killed, so nothing is left running.
func ChildAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
