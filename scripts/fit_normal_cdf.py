#!/usr/bin/env python3
"""Fits the polynomials of the vector types' exp and normal CDF
(kernels/cpu_vec_fits.hpp, used by cpu_vec_avx2.hpp and cpu_vec_vec128.hpp),
which the softmax and GELU of every forward pass run on.

    erfc(z) = t * exp(-z^2 + P(t)),  t = 1 / (1 + z/2),  0 <= z <= 9.3
    e^r     = E(r),                  |r| <= ln(2) / 2

P has degree 7 and E degree 5; both minimise the largest relative error
(of erfc, of e^r) by Lawson's iteratively reweighted least squares on
Chebyshev points, with erfc computed to 30 digits by mpmath.  Prints the
coefficients highest degree first (the order of the Horner loops) and the
largest error of each fit in float64.

Interpreter: the pyenv `python3` first on PATH, with numpy and mpmath
(pip install numpy mpmath).
"""
import math

import mpmath
import numpy as np

mpmath.mp.dps = 30


def lawson(x, f, weight, degree, iterations=200):
    """Near-minimax polynomial (coefficients lowest degree first) of f on
    the points x, minimising max |weight * (p(x) - f)|."""
    vander = np.vander(x, degree + 1, increasing=True)
    lawson_weight = np.full(len(x), 1.0 / len(x))
    for _ in range(iterations):
        w = np.sqrt(lawson_weight) * weight
        coefficients, *_ = np.linalg.lstsq(vander * w[:, None], f * w, rcond=None)
        error = np.abs((vander @ coefficients - f) * weight)
        lawson_weight *= error
        lawson_weight /= lawson_weight.sum()
    return coefficients, float(np.max(np.abs((vander @ coefficients - f) * weight)))


def chebyshev_points(low, high, count):
    return low + (high - low) * (np.cos(np.linspace(0.0, np.pi, count)) + 1.0) / 2.0


def main():
    # erfc(z) is a normal float up to z = 9.3; Phi is 0 or 1 to float precision beyond.
    t_min = 1.0 / (1.0 + 9.3 / 2.0)
    t = chebyshev_points(t_min, 1.0, 3000)
    z = 2.0 * (1.0 / t - 1.0)
    log_ratio = np.array([float(mpmath.log(mpmath.erfc(zi) / ti) + mpmath.mpf(zi) ** 2)
                          for zi, ti in zip(z, t)])
    # An error d in P is a relative error of about d in erfc.
    p, p_error = lawson(t, log_ratio, np.ones_like(t), 7)
    print(f"P (degree 7, highest first; the kernel subtracts ln 2 = {math.log(2.0):.17g} from the"
          f" constant for the 1/2 of Phi): max relative error of erfc {p_error:.3g}")
    print("  " + ", ".join(f"{c:.8g}" for c in p[::-1]))

    r = chebyshev_points(-math.log(2.0) / 2.0, math.log(2.0) / 2.0, 2000)
    e, e_error = lawson(r, np.exp(r), np.exp(-r), 5)
    print(f"E (degree 5, highest first): max relative error of e^r {e_error:.3g}")
    print("  " + ", ".join(f"{c:.8g}" for c in e[::-1]))


if __name__ == "__main__":
    main()
