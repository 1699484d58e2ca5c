//go:build !linux

package redisproc

import "syscall"

// ChildAttr is nothing where a child cannot be tied to its parent.
func ChildAttr() *syscall.SysProcAttr { return nil }
