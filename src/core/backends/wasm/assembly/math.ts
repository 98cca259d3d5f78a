/**
 * Vector exp, expm1, tanh and sigmoid on two float64 lanes. Lanes whose argument leaves the range
 * where the vector formula is exact to a few ulp (results near overflow or subnormal, ±Infinity,
 * NaN) are computed by the host's Math functions instead, so edge values agree with the plain-JS
 * kernels exactly.
 *
 * exp: x = n ln2 + r with |r| <= ln2 / 2 (ln 2 split in a high part with trailing zero bits and a
 * low part, so n * high is exact), e^r by its Taylor series to r^14 (the next term is below 1e-18),
 * and 2^n built from its exponent bits. expm1 keeps e^r - 1 without the leading 1, so it stays
 * accurate near 0: expm1(x) = 2^n (e^r - 1) + (2^n - 1).
 */

// @ts-ignore: decorator
@external("env", "exp")
declare function hostExp(x: f64): f64;
// @ts-ignore: decorator
@external("env", "expm1")
declare function hostExpm1(x: f64): f64;

const LOG2E: f64 = 1.4426950408889634;
const LN2_HI: f64 = 6.93147180369123816490e-1;
const LN2_LO: f64 = 1.90821492927058770002e-10;
/** The vector path's domain: 2^n stays a normal number and the result neither overflows nor goes subnormal. */
const LO: f64 = -708.0;
const HI: f64 = 709.0;

// @ts-ignore: decorator
@inline
function inRange(x: v128): bool {
  return i64x2.all_true(v128.and(f64x2.ge(x, f64x2.splat(LO)), f64x2.le(x, f64x2.splat(HI))));
}

/** 2^n for integral n in [-1022, 1023] held as float64 lanes. */
// @ts-ignore: decorator
@inline
function pow2(n: v128): v128 {
  const i = i64x2.extend_low_i32x4_s(i32x4.trunc_sat_f64x2_s_zero(n));
  return i64x2.shl(i64x2.add(i, i64x2.splat(1023)), 52);
}

/**
 * sum_{k=1}^{14} r^k / k!  (e^r - 1), by Estrin's scheme: pairs of terms combined with r², r⁴ and
 * r⁸, so the dependency chain is 5 multiply-adds deep instead of Horner's 14 (all terms have the
 * sign of r^k and shrink fast for |r| <= ln2 / 2, so the regrouping costs no accuracy).
 */
// @ts-ignore: decorator
@inline
function expm1Reduced(r: v128): v128 {
  const r2 = f64x2.mul(r, r);
  const r4 = f64x2.mul(r2, r2);
  const r8 = f64x2.mul(r4, r4);
  // q_j = c_{2j+1} + c_{2j+2} r, with c_k = 1 / k!
  const q0 = f64x2.add(f64x2.splat(1.0), f64x2.mul(f64x2.splat(0.5), r));
  const q1 = f64x2.add(f64x2.splat(1.0 / 6.0), f64x2.mul(f64x2.splat(1.0 / 24.0), r));
  const q2 = f64x2.add(f64x2.splat(1.0 / 120.0), f64x2.mul(f64x2.splat(1.0 / 720.0), r));
  const q3 = f64x2.add(f64x2.splat(1.0 / 5040.0), f64x2.mul(f64x2.splat(1.0 / 40320.0), r));
  const q4 = f64x2.add(f64x2.splat(1.0 / 362880.0), f64x2.mul(f64x2.splat(1.0 / 3628800.0), r));
  const q5 = f64x2.add(f64x2.splat(1.0 / 39916800.0), f64x2.mul(f64x2.splat(1.0 / 479001600.0), r));
  const q6 = f64x2.add(f64x2.splat(1.0 / 6227020800.0), f64x2.mul(f64x2.splat(1.0 / 87178291200.0), r));
  const s0 = f64x2.add(q0, f64x2.mul(q1, r2));
  const s1 = f64x2.add(q2, f64x2.mul(q3, r2));
  const s2 = f64x2.add(q4, f64x2.mul(q5, r2));
  const t0 = f64x2.add(s0, f64x2.mul(s1, r4));
  const t1 = f64x2.add(s2, f64x2.mul(q6, r4));
  return f64x2.mul(r, f64x2.add(t0, f64x2.mul(t1, r8)));
}

/** e^x on two lanes. */
// @ts-ignore: decorator
@inline
export function expv(x: v128): v128 {
  if (!inRange(x)) {
    return f64x2.replace_lane(f64x2.splat(hostExp(f64x2.extract_lane(x, 0))), 1, hostExp(f64x2.extract_lane(x, 1)));
  }
  const n = f64x2.nearest(f64x2.mul(x, f64x2.splat(LOG2E)));
  const r = f64x2.sub(f64x2.sub(x, f64x2.mul(n, f64x2.splat(LN2_HI))), f64x2.mul(n, f64x2.splat(LN2_LO)));
  const q = expm1Reduced(r);
  return f64x2.mul(f64x2.add(q, f64x2.splat(1.0)), pow2(n));
}

/** e^x - 1 on two lanes. */
// @ts-ignore: decorator
@inline
export function expm1v(x: v128): v128 {
  if (!inRange(x)) {
    return f64x2.replace_lane(f64x2.splat(hostExpm1(f64x2.extract_lane(x, 0))), 1, hostExpm1(f64x2.extract_lane(x, 1)));
  }
  const n = f64x2.nearest(f64x2.mul(x, f64x2.splat(LOG2E)));
  const r = f64x2.sub(f64x2.sub(x, f64x2.mul(n, f64x2.splat(LN2_HI))), f64x2.mul(n, f64x2.splat(LN2_LO)));
  const q = expm1Reduced(r);
  const s = pow2(n);
  // expm1(±0) = ±0: the reduction (x - 0·ln2) would turn -0 into +0
  return v128.bitselect(x, f64x2.add(f64x2.mul(s, q), f64x2.sub(s, f64x2.splat(1.0))), f64x2.eq(x, f64x2.splat(0.0)));
}

const SIGN: u64 = 0x8000000000000000;

/** tanh x = sign(x) · (-t / (t + 2)) with t = expm1(-2|x|), which keeps relative accuracy near 0; |x| > 20 gives ±1. */
// @ts-ignore: decorator
@inline
export function tanhv(x: v128): v128 {
  const y = f64x2.max(f64x2.mul(f64x2.abs(x), f64x2.splat(-2.0)), f64x2.splat(-40.0));
  const t = expm1v(y);
  const r = f64x2.abs(f64x2.div(t, f64x2.add(t, f64x2.splat(2.0))));
  return v128.or(r, v128.and(x, i64x2.splat(SIGN)));
}

/** σ(x) as the JS kernel computes it: 1 / (1 + e^-x) for x >= 0, e^x / (1 + e^x) below. */
// @ts-ignore: decorator
@inline
export function sigmoidv(x: v128): v128 {
  const e = expv(f64x2.neg(f64x2.abs(x)));
  const d = f64x2.add(f64x2.splat(1.0), e);
  return v128.bitselect(f64x2.div(f64x2.splat(1.0), d), f64x2.div(e, d), f64x2.ge(x, f64x2.splat(0.0)));
}
