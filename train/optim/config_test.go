package optim_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/train/optim"
)

// TestOptimizerBadHyperparameters checks that NewOptimizer rejects every invalid
// value with an error naming the field.
func TestOptimizerBadHyperparameters(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		cfg  optim.Config
		want string
	}{
		{optim.SGD{}, "optim: sgd: LR = 0, want > 0"},
		{optim.SGD{LR: -1}, "optim: sgd: LR = -1, want > 0"},
		{optim.SGD{LR: nan}, "optim: sgd: LR = NaN, want > 0"},
		{optim.SGD{LR: inf}, "optim: sgd: LR = +Inf, want > 0"},
		{optim.SGD{LR: 0.1, Momentum: -1}, "optim: sgd: Momentum = -1, want >= 0"},
		{optim.SGD{LR: 0.1, Momentum: nan}, "optim: sgd: Momentum = NaN, want >= 0"},
		{optim.SGD{LR: 0.1, Dampening: -0.1}, "optim: sgd: Dampening = -0.1, want in [0, 1]"},
		{optim.SGD{LR: 0.1, Dampening: 1.5}, "optim: sgd: Dampening = 1.5, want in [0, 1]"},
		{optim.SGD{LR: 0.1, WeightDecay: -1e-4}, "optim: sgd: WeightDecay = -0.0001, want >= 0"},
		{optim.SGD{LR: 0.1, WeightDecay: nan}, "optim: sgd: WeightDecay = NaN, want >= 0"},
		{optim.SGD{LR: 0.1, Nesterov: true}, "optim: sgd: Nesterov needs Momentum > 0 and Dampening = 0, have Momentum = 0, Dampening = 0"},
		{optim.SGD{LR: 0.1, Momentum: 0.9, Dampening: 0.1, Nesterov: true}, "Nesterov needs Momentum > 0 and Dampening = 0"},

		{optim.Adam{LR: -1}, "optim: adam: LR = -1, want > 0 (0 means 1e-3)"},
		{optim.Adam{LR: nan}, "optim: adam: LR = NaN"},
		{optim.Adam{Beta1: -0.1}, "optim: adam: Beta1 = -0.1, want in [0, 1)"},
		{optim.Adam{Beta1: 1}, "optim: adam: Beta1 = 1, want in [0, 1)"},
		{optim.Adam{Beta2: 1}, "optim: adam: Beta2 = 1, want in [0, 1)"},
		{optim.Adam{Beta2: nan}, "optim: adam: Beta2 = NaN, want in [0, 1)"},
		{optim.Adam{Eps: -1e-8}, "optim: adam: Eps = -1e-08, want > 0"},
		{optim.Adam{Eps: inf}, "optim: adam: Eps = +Inf, want > 0"},
		{optim.Adam{WeightDecay: -1}, "optim: adam: WeightDecay = -1, want >= 0"},

		{optim.AdamW{LR: -1}, "optim: adamw: LR = -1"},
		{optim.AdamW{Beta1: 1.5}, "optim: adamw: Beta1 = 1.5, want in [0, 1)"},
		{optim.AdamW{Beta2: -1}, "optim: adamw: Beta2 = -1, want in [0, 1)"},
		{optim.AdamW{Eps: nan}, "optim: adamw: Eps = NaN, want > 0"},
		{optim.AdamW{WeightDecay: -0.01}, "optim: adamw: WeightDecay = -0.01, want >= 0"},
		{optim.AdamW{WeightDecay: inf}, "optim: adamw: WeightDecay = +Inf, want >= 0"},

		{optim.RMSProp{LR: -1}, "optim: rmsprop: LR = -1, want > 0 (0 means 1e-2)"},
		{optim.RMSProp{Alpha: 1}, "optim: rmsprop: Alpha = 1, want in (0, 1)"},
		{optim.RMSProp{Alpha: -0.5}, "optim: rmsprop: Alpha = -0.5, want in (0, 1)"},
		{optim.RMSProp{Eps: -1}, "optim: rmsprop: Eps = -1, want > 0"},
		{optim.RMSProp{Momentum: -0.9}, "optim: rmsprop: Momentum = -0.9, want >= 0"},
		{optim.RMSProp{WeightDecay: nan}, "optim: rmsprop: WeightDecay = NaN, want >= 0"},

		{optim.Adagrad{LR: inf}, "optim: adagrad: LR = +Inf, want > 0 (0 means 1e-2)"},
		{optim.Adagrad{LRDecay: -1}, "optim: adagrad: LRDecay = -1, want >= 0"},
		{optim.Adagrad{WeightDecay: -1}, "optim: adagrad: WeightDecay = -1, want >= 0"},
		{optim.Adagrad{InitialAccumulator: -0.1}, "optim: adagrad: InitialAccumulator = -0.1, want >= 0"},
		{optim.Adagrad{Eps: nan}, "optim: adagrad: Eps = NaN, want > 0"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%T%+v", tc.cfg, tc.cfg), func(t *testing.T) {
			opt, err := tc.cfg.NewOptimizer()
			if err == nil {
				t.Fatalf("NewOptimizer() = %v, nil; want error %q", opt, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewOptimizer() error = %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestOptimizerDefaultsAndString checks the zero-value defaults and String.
func TestOptimizerDefaultsAndString(t *testing.T) {
	tests := []struct {
		cfg    optim.Config
		lr     float64
		string string
	}{
		{optim.SGD{LR: 0.1}, 0.1, "SGD(lr=0.1, momentum=0, dampening=0, weight_decay=0, nesterov=false)"},
		{optim.SGD{LR: 0.1, Momentum: 0.9, Nesterov: true, WeightDecay: 1e-4}, 0.1,
			"SGD(lr=0.1, momentum=0.9, dampening=0, weight_decay=0.0001, nesterov=true)"},
		{optim.Adam{}, 1e-3, "Adam(lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0, amsgrad=false)"},
		{optim.Adam{LR: 0.01, Beta1: 0.5, Beta2: 0.9, Eps: 1e-6, WeightDecay: 0.1, AMSGrad: true}, 0.01,
			"Adam(lr=0.01, betas=(0.5, 0.9), eps=1e-06, weight_decay=0.1, amsgrad=true)"},
		{optim.AdamW{}, 1e-3, "AdamW(lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0, amsgrad=false)"},
		{optim.AdamW{WeightDecay: 1e-2}, 1e-3, "AdamW(lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.01, amsgrad=false)"},
		{optim.RMSProp{}, 1e-2, "RMSprop(lr=0.01, alpha=0.99, eps=1e-08, weight_decay=0, momentum=0, centered=false)"},
		{optim.Adagrad{}, 1e-2, "Adagrad(lr=0.01, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10)"},
	}
	for _, tc := range tests {
		opt, err := tc.cfg.NewOptimizer()
		if err != nil {
			t.Fatalf("%#v: %v", tc.cfg, err)
		}
		if opt.LR() != tc.lr {
			t.Errorf("%#v: LR() = %g, want %g", tc.cfg, opt.LR(), tc.lr)
		}
		if got := opt.String(); got != tc.string {
			t.Errorf("%#v: String() = %q, want %q", tc.cfg, got, tc.string)
		}
		opt.SetLR(0.5)
		if opt.LR() != 0.5 || !strings.Contains(opt.String(), "lr=0.5,") {
			t.Errorf("%#v: after SetLR(0.5), LR() = %g, String() = %q", tc.cfg, opt.LR(), opt.String())
		}
	}
}

// TestSGDSetLR checks that a new learning rate is used from the next step: plain SGD
// moves p by exactly -lr*g.
func TestSGDSetLR(t *testing.T) {
	s := graph.NewScope(graph.Float64, graph.Seed(1))
	p := newOptimParam(t, s, "p", []int{1}, []float64{1})
	opt, err := optim.SGD{LR: 0.5}.NewOptimizer()
	if err != nil {
		t.Fatal(err)
	}
	setOptimGrad(t, p, []float64{1})
	for _, lr := range []float64{0.5, 0.25, 0} {
		opt.SetLR(lr)
		if err := opt.Step([]*graph.Param{p}); err != nil {
			t.Fatal(err)
		}
	}
	if got := p.Float64s()[0]; got != 0.25 {
		t.Errorf("p = %v after steps at lr 0.5, 0.25, 0 with gradient 1, want 0.25", got)
	}
}
