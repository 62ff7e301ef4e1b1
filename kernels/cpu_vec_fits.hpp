// Polynomial fits shared by the vector types (cpu_vec_avx2.hpp,
// cpu_vec_vec128.hpp), printed by scripts/fit_normal_cdf.py; highest degree
// first, the order of the Horner loops.
#pragma once

namespace invforecast::kernels::cpu {

// e^r for |r| <= ln(2) / 2, degree 5: relative error 7.5e-8.
inline constexpr float kExpPoly[6] = {0.0082976551f, 0.041915384f, 0.16667575f,
                                      0.49998895f,   0.99999969f,  1.0000001f};

// P(t) of erfc(z) = t exp(-z^2 + P(t)), t = 1 / (1 + z / 2), degree 7:
// relative error of erfc 6.2e-7 for z <= 9.3.  ln 2 is subtracted from the
// constant, so that t exp(-z^2 + P(t)) is erfc(z) / 2, the normal CDF's tail.
inline constexpr float kHalfErfcPoly[8] = {-0.18198305f,  0.72660623f, -0.95663906f,
                                           0.30773006f,   -0.016763961f, 0.38686682f,
                                           0.99973369f,   -1.2655514f - 0.69314718f};

}  // namespace invforecast::kernels::cpu
