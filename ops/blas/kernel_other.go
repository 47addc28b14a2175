//go:build (!amd64 && !arm64) || purego

package blas

// Off amd64 and arm64, and with -tags purego, the portable Go kernel is the only one.
func init() {
	addGeneric()
	startPath(PathGeneric)
}
