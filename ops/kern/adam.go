package kern

import "math"

// AdamArgs are the scalars of one Adam or AdamW step (Kingma and Ba, "Adam: A Method
// for Stochastic Optimization", 2015; Loshchilov and Hutter, "Decoupled Weight Decay
// Regularization", 2019), precomputed by the optimizer in the element type.
type AdamArgs[F Float] struct {
	Beta1, Beta2                 F
	OneMinusBeta1, OneMinusBeta2 F // 1 - Beta1, 1 - Beta2, rounded once
	Decay                        F // AdamW's factor 1 - lr·weight decay on the weights; 1 for none
	StepSize                     F // lr / (1 - Beta1^t)
	BC2Sqrt                      F // sqrt(1 - Beta2^t)
	Eps                          F
}

// Adam applies one update to the weights w in place, with gradient g and the moment
// buffers m and v (all of len(w) or more): w = w·Decay - StepSize·m' /
// (sqrt(v')/BC2Sqrt + Eps), m' = m·Beta1 + (1-Beta1)·g, v' = v·Beta2 + (1-Beta2)·g·g,
// in PyTorch's order of operations. The square root is taken in float64 (for float32
// that is the correctly rounded float32 square root). The AVX2 body does the same
// operations in the same order without fused multiply-adds: its results are
// bit-identical to the Go body's.
func Adam[F Float](w, g, m, v []F, a AdamArgs[F]) {
	g, m, v = g[:len(w)], m[:len(w)], v[:len(w)]
	for i := adamAsm(w, g, m, v, a); i < len(w); i++ {
		gi, wi := g[i], w[i]
		if a.Decay != 1 {
			wi *= a.Decay
		}
		mi := m[i]*a.Beta1 + a.OneMinusBeta1*gi
		vi := v[i]*a.Beta2 + a.OneMinusBeta2*gi*gi
		m[i], v[i] = mi, vi
		denom := F(math.Sqrt(float64(vi)))/a.BC2Sqrt + a.Eps
		w[i] = wi - a.StepSize*mi/denom
	}
}
