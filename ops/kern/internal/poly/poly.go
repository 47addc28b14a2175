// Package poly holds the constants of the polynomial approximations package kern
// computes with, written once: its Go bodies read them, and its assembly generator
// (ops/kern/internal/gen) writes them into the assembly.
package poly

// The exponential: exp(w) = 2^k·p(r) with k = round(w·log2 e), r = w - k·ln2 (ln2 in
// two parts, Cody and Waite, so that k·Ln2Hi is exact), |r| <= ln2/2, and p the Taylor
// polynomial of degree ExpDegree, relative error 2e-13 there.
const (
	Log2e     = 1.4426950408889634
	Ln2Hi     = 6.93147180369123816490e-01
	Ln2Lo     = 1.90821492927058770002e-10
	ExpDegree = 10
	// ExpFloor is where the assembly clamps arguments: exp is 0 in float64 below it.
	ExpFloor = -1000
)

// ExpCoef holds the Taylor coefficients 1/n!, n = 0..ExpDegree (each the correctly
// rounded value of the exact fraction).
var ExpCoef = [ExpDegree + 1]float64{
	1, 1, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040, 1.0 / 40320,
	1.0 / 362880, 1.0 / 3628800,
}

// The scaled complementary error function erfcx(z) = exp(z²)·erfc(z) for z in [0, 13]:
// erfcx(z) ≈ t·P(u) with t = 1/(1 + ErfcxA·z) and u = t·ErfcxU1 + ErfcxU0, which maps
// t in [ErfcxTMin, 1] to [-1, 1]. P is degree 12, fitted against mpmath (relative
// error 6e-11; testdata/gelu/fit_erfcx.py prints ErfcxP).
const (
	ErfcxA    = 0.3
	ErfcxTMin = 1 / (1 + 13*ErfcxA)
	ErfcxU1   = 2 / (1 - ErfcxTMin)
	ErfcxU0   = -(1 + ErfcxTMin) / (1 - ErfcxTMin)
	// ErfcxZMax is the end of the fitted range: erfc(z)/2 < 1e-74 beyond it.
	ErfcxZMax = 13
)

// ErfcxP holds P's coefficients, constant term first.
var ErfcxP = [...]float64{
	0.3908078304607317, 0.2981630053139624, 0.18215607638423084, 0.08795037528590488,
	0.03225853996314948, 0.008089782365231153, 0.0008830261557110561, -0.00021955445391193742,
	-9.53158390782986e-05, -2.1186166878580833e-07, 6.416608927121827e-06, 3.947920741260408e-07,
	-3.651688444032188e-07,
}
