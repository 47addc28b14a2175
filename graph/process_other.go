//go:build !unix

package graph

import "os"

// processRunning reports whether the process pid exists. Where FindProcess cannot
// tell (it succeeds for any pid on some systems), the answer is true, so that
// WriteFileAtomic never removes a temporary another process may still be writing.
func processRunning(pid int) bool {
	_, err := os.FindProcess(pid)
	return err == nil
}
