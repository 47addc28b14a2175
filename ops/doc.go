// Package ops holds differentiable ops that gorgonia lacks or gets wrong, and
// CheckGrad, the numeric gradient checker to run on any op or layer.
package ops
