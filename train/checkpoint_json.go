package train

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"reflect"
	"strings"

	"github.com/pkg/errors"
)

// decodeStrict decodes the JSON object data into v, a pointer to a struct, strictly:
// an unknown field, a field missing or null (every field but those tagged omitempty,
// in nested structs too), or anything after the object is an error. A checkpoint
// whose metadata lacks "lr" must not load with a learning rate of 0.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON object")
	}
	return requireFields(data, reflect.TypeOf(v).Elem(), "")
}

// requireFields checks that the JSON object data has every field of the struct type
// t that is not omitempty, non-null, recursing into struct-typed fields.
func requireFields(data []byte, t reflect.Type, where string) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return errors.Wrapf(err, "%s: want an object", strings.TrimPrefix(where, "."))
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		raw, ok := obj[name]
		if !ok || string(raw) == "null" {
			if strings.Contains(opts, "omitempty") {
				continue
			}
			return errors.Errorf("field %q is missing", strings.TrimPrefix(where+"."+name, "."))
		}
		if f.Type.Kind() == reflect.Struct {
			if err := requireFields(raw, f.Type, where+"."+name); err != nil {
				return err
			}
		}
	}
	return nil
}

// check rejects values that no Trainer can have saved.
func (st *trainerState) check() error {
	if st.Version != 1 {
		return errors.Errorf("checkpoint version %d, want 1", st.Version)
	}
	if st.Epoch < 0 || st.Step < 0 || st.ScheduleStep < 0 {
		return errors.Errorf("epoch %d, step %d, schedule_step %d: want >= 0", st.Epoch, st.Step, st.ScheduleStep)
	}
	if !(st.LR >= 0) || math.IsInf(st.LR, 0) {
		return errors.Errorf("lr %v: want finite >= 0", st.LR)
	}
	for name, n := range st.OptimizerSteps {
		if n < 0 {
			return errors.Errorf("optimizer_steps[%q] = %d: want >= 0", name, n)
		}
	}
	return nil
}
