// Empty: its presence lets this package declare the body-less Runall that //go:linkname binds.
