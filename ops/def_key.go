package ops

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

// paramKey prints every field of p, exported or not, in a form that differs whenever
// a field differs: "{Axis=1, Eps=1e-05}". It ignores String methods (which may leave
// fields out), prints floats exactly (shortest round-trip form, so 1e-5 and 1.1e-5
// differ, unlike gorgonia's %1.1f), prints pointers by address (two generators are
// two ops) and rejects funcs, which cannot be compared.
func paramKey(p any) (string, error) {
	var b strings.Builder
	if err := writeKey(&b, reflect.ValueOf(p), "P"); err != nil {
		return "", err
	}
	s := b.String()
	if !strings.HasPrefix(s, "{") {
		s = "{" + s + "}"
	}
	return s, nil
}

func writeKey(b *strings.Builder, v reflect.Value, path string) error {
	if !v.IsValid() {
		b.WriteString("nil")
		return nil
	}
	switch v.Kind() {
	case reflect.Bool:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		b.WriteString(strconv.FormatUint(v.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		b.WriteString(strconv.FormatFloat(v.Float(), 'g', -1, v.Type().Bits()))
	case reflect.Complex64, reflect.Complex128:
		b.WriteString(strconv.FormatComplex(v.Complex(), 'g', -1, v.Type().Bits()))
	case reflect.String:
		b.WriteString(strconv.Quote(v.String()))
	case reflect.Pointer, reflect.UnsafePointer, reflect.Chan:
		if v.IsNil() {
			b.WriteString("nil")
		} else {
			fmt.Fprintf(b, "(%v)%#x", v.Type(), v.Pointer())
		}
	case reflect.Interface:
		if v.IsNil() {
			b.WriteString("nil")
			return nil
		}
		fmt.Fprintf(b, "%v(", v.Elem().Type())
		if err := writeKey(b, v.Elem(), path); err != nil {
			return err
		}
		b.WriteString(")")
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			b.WriteString("nil")
			return nil
		}
		b.WriteString("[")
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				b.WriteString(" ")
			}
			if err := writeKey(b, v.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		b.WriteString("]")
	case reflect.Map:
		if v.IsNil() {
			b.WriteString("nil")
			return nil
		}
		entries := make([]string, 0, v.Len())
		for it := v.MapRange(); it.Next(); {
			var e strings.Builder
			if err := writeKey(&e, it.Key(), path+"[key]"); err != nil {
				return err
			}
			e.WriteString(":")
			if err := writeKey(&e, it.Value(), path+"[value]"); err != nil {
				return err
			}
			entries = append(entries, e.String())
		}
		slices.Sort(entries)
		b.WriteString("map[" + strings.Join(entries, " ") + "]")
	case reflect.Struct:
		b.WriteString("{")
		t := v.Type()
		for i := 0; i < v.NumField(); i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(t.Field(i).Name + "=")
			if err := writeKey(b, v.Field(i), path+"."+t.Field(i).Name); err != nil {
				return err
			}
		}
		b.WriteString("}")
	default: // reflect.Func
		return errors.Errorf("%s is a %v; funcs cannot be compared, so ops differing in it would merge", path, v.Type())
	}
	return nil
}
