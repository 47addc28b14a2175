package torch

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/pkg/errors"
)

// A pickle is a program for a small stack machine, and Python's unpickler calls any
// function it names (GLOBAL, STACK_GLOBAL) with arguments the file chooses: loading
// an untrusted pickle in Python runs arbitrary code. gradflow never runs what a pickle
// names: scanPickle reads every opcode first, checks every length against the bytes
// that remain (so the unpickler never allocates more than the file holds), rejects
// the opcodes a state_dict does not need and every global outside allowedGlobals,
// and finds where the pickle ends. The unpickler (gopickle) then runs with a
// FindClass that resolves only the same globals to gradflow's own Go values.

// allowedGlobals are the globals a torch.save'd state_dict names: the ordered dict,
// the tensor and parameter rebuild functions, and the typed storages, each mapped to
// its safetensors dtype ("" for a non-storage).
var allowedGlobals = map[string]string{
	"collections.OrderedDict":         "",
	"torch._utils._rebuild_tensor_v2": "",
	"torch._utils._rebuild_parameter": "",
	"torch.FloatStorage":              "F32",
	"torch.DoubleStorage":             "F64",
	"torch.HalfStorage":               "F16",
	"torch.BFloat16Storage":           "BF16",
	"torch.LongStorage":               "I64",
	"torch.IntStorage":                "I32",
	"torch.ShortStorage":              "I16",
	"torch.CharStorage":               "I8",
	"torch.ByteStorage":               "U8",
	"torch.BoolStorage":               "BOOL",
}

// ForbiddenGlobalError reports a pickle that names a global outside the allowlist:
// the file is more than a state_dict of tensors (a whole pickled module, or a
// payload), and nothing of it is loaded.
type ForbiddenGlobalError struct {
	Global string // "module.name"
	Offset int    // byte offset of the opcode in the pickle
}

func (e *ForbiddenGlobalError) Error() string {
	return fmt.Sprintf("pickle names the global %s at byte %d, which a state_dict of tensors does not need; "+
		"gradflow never calls pickle globals outside its allowlist (save module.state_dict(), not the module)", e.Global, e.Offset)
}

// maxPickleOps bounds the opcodes of one pickle; a state_dict uses some tens per tensor.
const maxPickleOps = 1 << 24

// scanPickle checks the pickle at the start of b and returns its length (up to and
// including STOP).
func scanPickle(b []byte) (int, error) {
	pos := 0
	memo := map[int]string{} // memoized strings, for STACK_GLOBAL's arguments
	memoLen := 0
	var strs []string // strings pushed by the last opcodes, "" after any other push
	var lastStr string
	lastWasStr := false
	push := func(s string, isStr bool) {
		if isStr {
			strs = append(strs, s)
		} else {
			strs = append(strs, "\x00")
		}
		if len(strs) > 2 {
			strs = strs[len(strs)-2:]
		}
		lastStr, lastWasStr = s, isStr
	}
	need := func(n uint64, what string) ([]byte, error) {
		if n > uint64(len(b)-pos) {
			return nil, errors.Errorf("pickle: %s of %d bytes at byte %d runs past the end (%d bytes left): truncated", what, n, pos, len(b)-pos)
		}
		s := b[pos : pos+int(n)]
		pos += int(n)
		return s, nil
	}
	line := func(what string) ([]byte, error) {
		i := bytes.IndexByte(b[pos:], '\n')
		if i < 0 {
			return nil, errors.Errorf("pickle: %s at byte %d has no end of line: truncated", what, pos)
		}
		s := b[pos : pos+i]
		pos += i + 1
		return s, nil
	}
	uint := func(n int, what string) (uint64, error) {
		s, err := need(uint64(n), what)
		if err != nil {
			return 0, err
		}
		var v uint64
		for i := n - 1; i >= 0; i-- {
			v = v<<8 | uint64(s[i])
		}
		return v, nil
	}
	// sized reads an opcode's length field of n bytes and then that many bytes.
	sized := func(n int, what string) ([]byte, error) {
		l, err := uint(n, what+" length")
		if err != nil {
			return nil, err
		}
		return need(l, what)
	}
	checkGlobal := func(name string, at int) error {
		if _, ok := allowedGlobals[name]; !ok {
			return &ForbiddenGlobalError{Global: name, Offset: at}
		}
		return nil
	}
	for ops := 0; ; ops++ {
		if ops > maxPickleOps {
			return 0, errors.Errorf("pickle: more than %d opcodes", maxPickleOps)
		}
		if pos >= len(b) {
			return 0, errors.Errorf("pickle: ends at byte %d with no STOP: truncated", pos)
		}
		at := pos
		op := b[pos]
		pos++
		var err error
		switch op {
		case '.': // STOP
			return pos, nil
		case '(', '0', '1', '2', 'N', 'R', 'a', 'b', 'd', '}', 'e', 'l', ']', 's', 't', ')', 'u',
			0x85, 0x86, 0x87, 0x88, 0x89, 0x8f, 0x90, 0x91, 'Q', 0x81, 0x92:
			// MARK POP POP_MARK DUP NONE REDUCE APPEND BUILD DICT EMPTY_DICT APPENDS LIST
			// EMPTY_LIST SETITEM TUPLE EMPTY_TUPLE SETITEMS TUPLE1-3 NEWTRUE NEWFALSE
			// EMPTY_SET ADDITEMS FROZENSET BINPERSID NEWOBJ NEWOBJ_EX: no argument.
			push("", false)
		case 0x80: // PROTO
			var v uint64
			if v, err = uint(1, "PROTO"); err == nil && v > 5 {
				err = errors.Errorf("pickle: protocol %d at byte %d, want <= 5", v, at)
			}
		case 0x95: // FRAME: a hint to the reader; its size must fit
			var n uint64
			if n, err = uint(8, "FRAME"); err == nil && n > uint64(len(b)-pos) {
				err = errors.Errorf("pickle: frame of %d bytes at byte %d runs past the end (%d bytes left): truncated", n, at, len(b)-pos)
			}
		case 'K', 'h', 'q': // BININT1 BINGET BINPUT
			var v uint64
			if v, err = uint(1, "argument"); err == nil {
				err = memoOp(op, int(v), memo, &memoLen, lastStr, lastWasStr, push)
			}
		case 'M':
			_, err = uint(2, "BININT2")
			push("", false)
		case 'J', 'j', 'r': // BININT LONG_BINGET LONG_BINPUT
			var v uint64
			if v, err = uint(4, "argument"); err == nil {
				err = memoOp(op, int(v), memo, &memoLen, lastStr, lastWasStr, push)
			}
		case 0x94: // MEMOIZE
			if lastWasStr {
				memo[memoLen] = lastStr
			}
			memoLen++
		case 'G':
			_, err = need(8, "BINFLOAT")
			push("", false)
		case 0x8a: // LONG1
			_, err = sized(1, "LONG1")
			push("", false)
		case 0x8b: // LONG4
			_, err = sized(4, "LONG4")
			push("", false)
		case 'T', 'B': // BINSTRING BINBYTES
			_, err = sized(4, "string")
			push("", false)
		case 'U', 'C': // SHORT_BINSTRING SHORT_BINBYTES
			_, err = sized(1, "string")
			push("", false)
		case 0x8e, 0x96: // BINBYTES8 BYTEARRAY8
			_, err = sized(8, "bytes")
			push("", false)
		case 'X', 0x8c, 0x8d: // BINUNICODE SHORT_BINUNICODE BINUNICODE8
			n := map[byte]int{'X': 4, 0x8c: 1, 0x8d: 8}[op]
			var s []byte
			if s, err = sized(n, "unicode string"); err == nil {
				push(string(s), true)
			}
		case 'I', 'L', 'F', 'S', 'V', 'P': // INT LONG FLOAT STRING UNICODE PERSID
			var s []byte
			if s, err = line("argument"); err == nil && op == 'V' {
				push(string(s), true)
			} else {
				push("", false)
			}
		case 'g', 'p': // GET PUT
			var s []byte
			if s, err = line("memo index"); err == nil {
				var v int
				if _, serr := fmt.Sscanf(string(s), "%d", &v); serr != nil || v < 0 {
					err = errors.Errorf("pickle: bad memo index %q at byte %d", s, at)
				} else {
					err = memoOp(op, v, memo, &memoLen, lastStr, lastWasStr, push)
				}
			}
		case 'c': // GLOBAL module\nname\n
			var mod, name []byte
			if mod, err = line("GLOBAL module"); err == nil {
				if name, err = line("GLOBAL name"); err == nil {
					err = checkGlobal(string(mod)+"."+string(name), at)
				}
			}
			push("", false)
		case 0x93: // STACK_GLOBAL: module and name are the two strings pushed before it
			if len(strs) != 2 || strs[0] == "\x00" || strs[1] == "\x00" {
				err = errors.Errorf("pickle: STACK_GLOBAL at byte %d does not follow two strings", at)
			} else {
				err = checkGlobal(strs[0]+"."+strs[1], at)
			}
			push("", false)
		default:
			// INST OBJ EXT1/2/4 NEXT_BUFFER READONLY_BUFFER and unknown opcodes: a
			// state_dict needs none of them.
			err = errors.Errorf("pickle: opcode 0x%02x at byte %d is not used by a state_dict and not accepted", op, at)
		}
		if err != nil {
			return 0, err
		}
	}
}

// memoOp handles the opcodes that read or write the memo, or push an integer.
func memoOp(op byte, idx int, memo map[int]string, memoLen *int, lastStr string, lastWasStr bool, push func(string, bool)) error {
	switch op {
	case 'h', 'j', 'g': // GET
		s, ok := memo[idx]
		push(s, ok)
	case 'q', 'r', 'p': // PUT: the top of the stack is memoized, not pushed again
		if lastWasStr {
			memo[idx] = lastStr
		} else {
			delete(memo, idx)
		}
		if idx >= *memoLen {
			*memoLen = idx + 1
		}
	default: // BININT1, BININT
		push("", false)
	}
	return nil
}

// le64 reads a little-endian int64 count, as the legacy format writes before each
// storage.
func le64(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }
