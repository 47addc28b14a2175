# Fits erfcx(z) = exp(z²)·erfc(z) on z in [0, 13] by a Chebyshev series in
# u = (2t - (1 + tmin))/(1 - tmin), t = 1/(1 + 0.3z), against mpmath at 40 digits,
# and prints the worst relative error and the monomial coefficients in u that
# ops/kern/internal/poly (ErfcxP) holds, read by the Go body and written into the
# generated assembly by ops/kern/internal/gen (degree 12: 6.3e-11).
# Run: python3 testdata/gelu/fit_erfcx.py (numpy, mpmath).
import mpmath, numpy as np
mpmath.mp.dps = 40
def erfcx(z): return mpmath.erfc(z)*mpmath.exp(z*z)
a, zmax = 0.3, 13.0
tmin = 1/(1+a*zmax)
M = 600
k = np.arange(M)
ts = 0.5*(1+tmin) + 0.5*(1-tmin)*np.cos(np.pi*(k+0.5)/M)
zs = (1/ts - 1)/a
g = np.array([float(erfcx(mpmath.mpf(z))/mpmath.mpf(t)) for z, t in zip(zs, ts)])
zt = np.concatenate([np.linspace(0, zmax, 4001), np.linspace(0,1e-3,50)])
ex = np.array([float(erfcx(mpmath.mpf(z))) for z in zt])
for deg in [10, 11, 12]:
    c = np.polynomial.chebyshev.chebfit((2*ts-(1+tmin))/(1-tmin), g, deg)
    p = np.polynomial.chebyshev.cheb2poly(c)
    tt = 1/(1+a*zt)
    u = (2*tt-(1+tmin))/(1-tmin)
    # horner
    acc = np.zeros_like(u)+p[-1]
    for co in p[-2::-1]: acc = acc*u+co
    print(deg, np.max(np.abs(tt*acc/ex-1)), "tmin", repr(tmin))
    print("  ", ", ".join(repr(float(x)) for x in p))
