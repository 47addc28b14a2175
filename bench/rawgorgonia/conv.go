package rawgorgonia

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Conv is a convolution stage of a Classifier, as LeNet has them: a Kernel×Kernel
// convolution (stride 1, no padding) to Out channels plus a bias, 2×2 max pooling
// with stride 2, then ReLU. Its weight (Out, C, Kernel, Kernel) and bias are drawn
// from U(±1/sqrt(C·Kernel·Kernel)), PyTorch's default for nn.Conv2d.
type Conv struct{ Out, Kernel int }

// inputs returns the number of features of one example.
func (cfg *Config) inputs() int {
	if len(cfg.Convs) == 0 {
		return cfg.Sizes[0]
	}
	return cfg.Image[0] * cfg.Image[1] * cfg.Image[2]
}

// inputShape returns the shape of a batch of n examples.
func (cfg *Config) inputShape(n int) []int {
	if len(cfg.Convs) == 0 {
		return []int{n, cfg.Sizes[0]}
	}
	return []int{n, cfg.Image[0], cfg.Image[1], cfg.Image[2]}
}

// checkConvs checks that the convolution stages fit the image and that Sizes[0] is
// the width of their flattened output.
func (cfg *Config) checkConvs() error {
	if len(cfg.Convs) == 0 {
		return nil
	}
	c, h, w := cfg.Image[0], cfg.Image[1], cfg.Image[2]
	for i, cv := range cfg.Convs {
		if c < 1 || cv.Out < 1 || cv.Kernel < 1 || h < cv.Kernel+1 || w < cv.Kernel+1 {
			return errors.Errorf("rawgorgonia: conv %d: %d channels of %dx%d, kernel %d, %d out: too small", i, c, h, w, cv.Kernel, cv.Out)
		}
		c, h, w = cv.Out, (h-cv.Kernel+1)/2, (w-cv.Kernel+1)/2
	}
	if cfg.Sizes[0] != c*h*w {
		return errors.Errorf("rawgorgonia: the convolutions give %d·%d·%d = %d features, Sizes[0] = %d", c, h, w, c*h*w, cfg.Sizes[0])
	}
	return nil
}

// convs adds the convolution stages to g and flattens their output to
// (N, Sizes[0]); without stages it returns x. With train, it creates the weights
// (collected as learnables before the linear layers'); otherwise it binds the
// training graph's current values.
func (c *Classifier) convs(g *gorgonia.ExprGraph, x *gorgonia.Node, train bool) (*gorgonia.Node, error) {
	if len(c.cfg.Convs) == 0 {
		return x, nil
	}
	h, ch := x, c.cfg.Image[0]
	for i, cv := range c.cfg.Convs {
		k := cv.Kernel
		wname, bname := fmt.Sprintf("cw%d", i), fmt.Sprintf("cb%d", i)
		var w, b *gorgonia.Node
		if train {
			bound := 1 / math.Sqrt(float64(ch*k*k))
			r := rand.New(rand.NewPCG(c.cfg.Seed, uint64(100+i)))
			w = gorgonia.NewTensor(g, c.cfg.DType, 4, gorgonia.WithShape(cv.Out, ch, k, k), gorgonia.WithName(wname),
				gorgonia.WithValue(c.uniform(r, bound, cv.Out, ch, k, k)))
			b = gorgonia.NewTensor(g, c.cfg.DType, 4, gorgonia.WithShape(1, cv.Out, 1, 1), gorgonia.WithName(bname),
				gorgonia.WithValue(c.uniform(r, bound, 1, cv.Out, 1, 1)))
			c.learn = append(c.learn, w, b)
		} else {
			w = gorgonia.NewTensor(g, c.cfg.DType, 4, gorgonia.WithShape(cv.Out, ch, k, k), gorgonia.WithName(wname),
				gorgonia.WithValue(c.learn[2*i].Value()))
			b = gorgonia.NewTensor(g, c.cfg.DType, 4, gorgonia.WithShape(1, cv.Out, 1, 1), gorgonia.WithName(bname),
				gorgonia.WithValue(c.learn[2*i+1].Value()))
		}
		var err error
		if h, err = gorgonia.Conv2d(h, w, tensor.Shape{k, k}, []int{0, 0}, []int{1, 1}, []int{1, 1}); err != nil {
			return nil, errors.Wrapf(err, "rawgorgonia: conv %d", i)
		}
		// The bias (1, Out, 1, 1) repeated along the batch and both spatial axes.
		if h, err = gorgonia.BroadcastAdd(h, b, nil, []byte{0, 2, 3}); err != nil {
			return nil, errors.Wrapf(err, "rawgorgonia: conv %d bias", i)
		}
		if h, err = gorgonia.MaxPool2D(h, tensor.Shape{2, 2}, []int{0, 0}, []int{2, 2}); err != nil {
			return nil, errors.Wrapf(err, "rawgorgonia: pool %d", i)
		}
		if h, err = gorgonia.Rectify(h); err != nil {
			return nil, errors.Wrapf(err, "rawgorgonia: conv %d relu", i)
		}
		ch = cv.Out
	}
	h, err := gorgonia.Reshape(h, tensor.Shape{x.Shape()[0], c.cfg.Sizes[0]})
	return h, errors.Wrap(err, "rawgorgonia: flatten")
}
