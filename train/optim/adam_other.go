//go:build !amd64 || purego

package optim

// adamFast has no vectorised kernel here: adamUpdate's scalar loop does everything.
func adamFast[T optimFloat](w, g, m, v []T, c adamCoeffs[T]) int { return 0 }
