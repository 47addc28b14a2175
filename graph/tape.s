// Empty: its presence lets graph declare the body-less tapeRunall (tape.go) that //go:linkname binds.
