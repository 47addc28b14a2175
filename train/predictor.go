package train

import (
	"sync"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
)

// PredictorConfig configures a Predictor.
type PredictorConfig struct {
	// Seed seeds the evaluation graphs (as Config.Seed does the Trainer's); the
	// outputs do not depend on it unless a layer draws random numbers in evaluation.
	Seed uint64
	// MaxIdle is how many compiled machines per input shape are kept between calls;
	// 0 means 4. More concurrent calls than that still run, each on a machine of its
	// own, and the extra machines are dropped when they finish.
	MaxIdle int
}

// Predictor runs a model in evaluation mode for many goroutines at once: the
// inference handle to serve a trained model from an HTTP handler or a worker pool.
// It keeps, for every input shape, a pool of compiled machines over the model's
// params, which they share by reference and only read: each call takes a machine of
// its own, so concurrent calls never share intermediate memory, and a call's output
// is the same, bit for bit, as the same input gives alone.
//
// The params must not change while calls are in flight (do not train the model
// through a Trainer at the same time); between calls they may, and the next call sees
// the new values. A Trainer's own Predict is for the goroutine that trains.
type Predictor struct {
	model Model
	dtype graph.DType
	cfg   PredictorConfig

	mu    sync.Mutex
	pools map[string][]*program // idle machines by input shape
	trace sync.Mutex            // tracing touches the model's layers: one at a time
}

// NewPredictor returns a Predictor for model.
func NewPredictor(model Model, cfg PredictorConfig) (*Predictor, error) {
	if model == nil {
		return nil, errors.New("train: NewPredictor: nil model")
	}
	if cfg.MaxIdle < 0 {
		return nil, errors.Errorf("train: NewPredictor: MaxIdle %d < 0", cfg.MaxIdle)
	}
	if cfg.MaxIdle == 0 {
		cfg.MaxIdle = 4
	}
	params := model.Params()
	if len(params) == 0 {
		return nil, errors.New("train: NewPredictor: the model has no params (its dtype is unknown)")
	}
	for i, p := range params {
		if p == nil {
			return nil, errors.Errorf("train: NewPredictor: model.Params()[%d] is nil", i)
		}
	}
	return &Predictor{model: model, dtype: params[0].DType(), cfg: cfg, pools: map[string][]*program{}}, nil
}

// Predict returns the model's output for the batch x (shape (N, features...)), a new
// tensor that the caller owns. It is safe for concurrent use. The first call for an
// input shape traces and compiles the model for it (a few milliseconds); later calls
// reuse idle machines.
func (p *Predictor) Predict(x *tensor.Dense) (*tensor.Dense, error) {
	if x == nil || x.Dims() == 0 {
		return nil, errors.New("train: Predictor.Predict: want a batch of shape (N, features...)")
	}
	if x.Dtype() != p.dtype {
		return nil, errors.Errorf("train: Predictor.Predict: input dtype %v, model has %v", x.Dtype(), p.dtype)
	}
	key := predictKey(x.Shape())
	prog, err := p.get(key, x.Shape())
	if err != nil {
		return nil, err
	}
	out, err := runPredict(prog, x)
	p.put(key, prog, err == nil)
	return out, err
}

// PredictFloat32 is Predict for a batch given as a Go slice in row-major order with
// its shape; it returns the output's values and shape.
func (p *Predictor) PredictFloat32(x []float32, shape ...int) ([]float32, []int, error) {
	return predictSlice[float32](p, x, shape)
}

// PredictFloat64 is PredictFloat32 for float64 models.
func (p *Predictor) PredictFloat64(x []float64, shape ...int) ([]float64, []int, error) {
	return predictSlice[float64](p, x, shape)
}

func predictSlice[T float32 | float64](p *Predictor, x []T, shape []int) ([]T, []int, error) {
	t, err := graph.TensorOf(x, shape...)
	if err != nil {
		return nil, nil, errors.Wrap(err, "train: Predictor.Predict")
	}
	out, err := p.Predict(t)
	if err != nil {
		return nil, nil, err
	}
	vals, err := graph.ValuesOf[T](out)
	if err != nil {
		return nil, nil, errors.Wrap(err, "train: Predictor.Predict")
	}
	return vals, []int(out.Shape().Clone()), nil
}

func (p *Predictor) get(key string, shape tensor.Shape) (*program, error) {
	p.mu.Lock()
	if pool := p.pools[key]; len(pool) > 0 {
		prog := pool[len(pool)-1]
		p.pools[key] = pool[:len(pool)-1]
		p.mu.Unlock()
		return prog, nil
	}
	p.mu.Unlock()

	p.trace.Lock()
	defer p.trace.Unlock()
	g := graph.New(p.dtype, graph.Eval, graph.GraphSeed(p.cfg.Seed))
	in, err := g.Input("x", shape...)
	if err != nil {
		return nil, errors.Wrap(err, "train: Predictor.Predict")
	}
	out, err := nn.Forward(p.model, g, in)
	if err != nil {
		return nil, errors.Wrapf(err, "train: Predictor.Predict: input shape %v", shape)
	}
	m, err := graph.Compile(g, graph.Outputs(out))
	if err != nil {
		return nil, errors.Wrap(err, "train: Predictor.Predict")
	}
	return &program{m: m, x: in, out: out}, nil
}

// put returns a machine to its pool, or drops it when the pool is full or the run
// failed (a failed machine may hold partial state).
func (p *Predictor) put(key string, prog *program, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ok && len(p.pools[key]) < p.cfg.MaxIdle {
		p.pools[key] = append(p.pools[key], prog)
		return
	}
	prog.m.Close()
}

func runPredict(prog *program, x *tensor.Dense) (*tensor.Dense, error) {
	if err := prog.m.Run(graph.Feeds{prog.x: x}); err != nil {
		return nil, errors.Wrap(err, "train: Predictor.Predict")
	}
	out, err := prog.m.Output(prog.out)
	if err != nil {
		return nil, errors.Wrap(err, "train: Predictor.Predict")
	}
	return out.Clone().(*tensor.Dense), nil
}

// Close releases the idle machines. Calls after Close still work (they compile anew).
func (p *Predictor) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var first error
	for key, pool := range p.pools {
		for _, prog := range pool {
			if err := prog.m.Close(); err != nil && first == nil {
				first = err
			}
		}
		delete(p.pools, key)
	}
	return first
}
