/**
 * Elementwise maps and the sum reduction, float64 and float32. Every loop runs over whole vectors:
 * the JavaScript side pads each region it allocates to a multiple of 16 bytes and copies out only
 * the real elements, so there are no scalar tails. Each op is a constant folded into its own loop
 * (the `@inline` helpers are specialised per op code by the optimiser), so the inner loops carry no
 * dispatch.
 *
 * Op codes are shared with ../index.ts (UNARY_OPS, BINARY_OPS); each op computes exactly what the
 * JS kernel of the primitive of that name computes (NaN, -0 and ties included).
 */
import { expm1v, expv, sigmoidv, tanhv } from './math';

// ---- unary -----------------------------------------------------------------------------------------

const U_NEG = 0, U_ABS = 1, U_SQUARE = 2, U_SQRT = 3, U_EXP = 4, U_TANH = 5, U_SIGMOID = 6, U_RELU = 7, U_EXPM1 = 8;

// @ts-ignore: decorator
@inline
function un64(op: i32, x: v128): v128 {
  if (op == U_NEG) return f64x2.neg(x);
  if (op == U_ABS) return f64x2.abs(x);
  if (op == U_SQUARE) return f64x2.mul(x, x);
  if (op == U_SQRT) return f64x2.sqrt(x);
  if (op == U_EXP) return expv(x);
  if (op == U_TANH) return tanhv(x);
  if (op == U_SIGMOID) return sigmoidv(x);
  if (op == U_RELU) return v128.bitselect(f64x2.splat(0), x, f64x2.lt(x, f64x2.splat(0)));
  return expm1v(x);
}

/** Ops computed on float32 lanes directly; the rest go through float64 and are rounded once. */
// @ts-ignore: decorator
@inline
function un32(op: i32, x: v128): v128 {
  if (op == U_NEG) return f32x4.neg(x);
  if (op == U_ABS) return f32x4.abs(x);
  if (op == U_SQUARE) return f32x4.mul(x, x);
  if (op == U_SQRT) return f32x4.sqrt(x);
  if (op == U_RELU) return v128.bitselect(f32x4.splat(0), x, f32x4.lt(x, f32x4.splat(0)));
  const lo = un64(op, f64x2.promote_low_f32x4(x));
  const hi = un64(op, f64x2.promote_low_f32x4(i64x2.shuffle(x, x, 1, 1)));
  return i64x2.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 2);
}

// @ts-ignore: decorator
@inline
function unLoop64(op: i32, x: usize, out: usize, n: i32): void {
  const end = x + (<usize>n << 3);
  for (; x < end; x += 16, out += 16) v128.store(out, un64(op, v128.load(x)));
}

// @ts-ignore: decorator
@inline
function unLoop32(op: i32, x: usize, out: usize, n: i32): void {
  const end = x + (<usize>n << 2);
  for (; x < end; x += 16, out += 16) v128.store(out, un32(op, v128.load(x)));
}

/** out[i] = op(x[i]) for i < n (rounded up to whole vectors), float64. */
export function unary_f64(op: i32, x: usize, out: usize, n: i32): void {
  switch (op) {
    case U_NEG: unLoop64(U_NEG, x, out, n); break;
    case U_ABS: unLoop64(U_ABS, x, out, n); break;
    case U_SQUARE: unLoop64(U_SQUARE, x, out, n); break;
    case U_SQRT: unLoop64(U_SQRT, x, out, n); break;
    case U_EXP: unLoop64(U_EXP, x, out, n); break;
    case U_TANH: unLoop64(U_TANH, x, out, n); break;
    case U_SIGMOID: unLoop64(U_SIGMOID, x, out, n); break;
    case U_RELU: unLoop64(U_RELU, x, out, n); break;
    case U_EXPM1: unLoop64(U_EXPM1, x, out, n); break;
  }
}

/** out[i] = op(x[i]) for i < n (rounded up to whole vectors), float32. */
export function unary_f32(op: i32, x: usize, out: usize, n: i32): void {
  switch (op) {
    case U_NEG: unLoop32(U_NEG, x, out, n); break;
    case U_ABS: unLoop32(U_ABS, x, out, n); break;
    case U_SQUARE: unLoop32(U_SQUARE, x, out, n); break;
    case U_SQRT: unLoop32(U_SQRT, x, out, n); break;
    case U_EXP: unLoop32(U_EXP, x, out, n); break;
    case U_TANH: unLoop32(U_TANH, x, out, n); break;
    case U_SIGMOID: unLoop32(U_SIGMOID, x, out, n); break;
    case U_RELU: unLoop32(U_RELU, x, out, n); break;
    case U_EXPM1: unLoop32(U_EXPM1, x, out, n); break;
  }
}

// ---- binary ----------------------------------------------------------------------------------------

const B_ADD = 0, B_SUB = 1, B_MUL = 2, B_DIV = 3, B_MAX = 4, B_MIN = 5, B_MULSZ = 6;
const B_GT = 7, B_GE = 8, B_LT = 9, B_LE = 10, B_EQ = 11, B_NE = 12;

// @ts-ignore: decorator
@inline
function bin64(op: i32, x: v128, y: v128): v128 {
  if (op == B_ADD) return f64x2.add(x, y);
  if (op == B_SUB) return f64x2.sub(x, y);
  if (op == B_MUL) return f64x2.mul(x, y);
  if (op == B_DIV) return f64x2.div(x, y);
  // maximum: x > y or x is NaN ? x : y (so ties return y, as the JS kernel does)
  if (op == B_MAX) return v128.bitselect(x, y, v128.or(f64x2.gt(x, y), f64x2.ne(x, x)));
  if (op == B_MIN) return v128.bitselect(x, y, v128.or(f64x2.lt(x, y), f64x2.ne(x, x)));
  if (op == B_MULSZ) {
    const zero = f64x2.splat(0);
    return v128.bitselect(zero, f64x2.mul(x, y), v128.or(f64x2.eq(x, zero), f64x2.eq(y, zero)));
  }
  const one = f64x2.splat(1);
  if (op == B_GT) return v128.and(f64x2.gt(x, y), one);
  if (op == B_GE) return v128.and(f64x2.ge(x, y), one);
  if (op == B_LT) return v128.and(f64x2.lt(x, y), one);
  if (op == B_LE) return v128.and(f64x2.le(x, y), one);
  if (op == B_EQ) return v128.and(f64x2.eq(x, y), one);
  return v128.and(f64x2.ne(x, y), one);
}

// @ts-ignore: decorator
@inline
function bin32(op: i32, x: v128, y: v128): v128 {
  if (op == B_ADD) return f32x4.add(x, y);
  if (op == B_SUB) return f32x4.sub(x, y);
  if (op == B_MUL) return f32x4.mul(x, y);
  if (op == B_DIV) return f32x4.div(x, y);
  if (op == B_MAX) return v128.bitselect(x, y, v128.or(f32x4.gt(x, y), f32x4.ne(x, x)));
  if (op == B_MIN) return v128.bitselect(x, y, v128.or(f32x4.lt(x, y), f32x4.ne(x, x)));
  if (op == B_MULSZ) {
    const zero = f32x4.splat(0);
    return v128.bitselect(zero, f32x4.mul(x, y), v128.or(f32x4.eq(x, zero), f32x4.eq(y, zero)));
  }
  const one = f32x4.splat(1);
  if (op == B_GT) return v128.and(f32x4.gt(x, y), one);
  if (op == B_GE) return v128.and(f32x4.ge(x, y), one);
  if (op == B_LT) return v128.and(f32x4.lt(x, y), one);
  if (op == B_LE) return v128.and(f32x4.le(x, y), one);
  if (op == B_EQ) return v128.and(f32x4.eq(x, y), one);
  return v128.and(f32x4.ne(x, y), one);
}

/**
 * One op over an outer x inner grid: out[o, i] = op(A[o * aos + i * ais], B[o * bos + i * bis]) with
 * inner strides 0 (broadcast: the value is splatted) or 1. `shift` is log2 of the element size.
 */
// @ts-ignore: decorator
@inline
function binLoop(
  op: i32, f32: bool, outer: i32, inner: i32,
  a: usize, aos: i32, ais: i32, b: usize, bos: i32, bis: i32, out: usize,
): void {
  const shift: usize = f32 ? 2 : 3;
  const rowBytes = <usize>inner << shift;
  for (let o = 0; o < outer; o++) {
    const pa = a + (<usize>(o * aos) << shift);
    const pb = b + (<usize>(o * bos) << shift);
    const po = out + <usize>o * rowBytes;
    const end = po + rowBytes;
    if (ais == 1 && bis == 1) {
      for (let d: usize = 0; po + d < end; d += 16) {
        const r = f32 ? bin32(op, v128.load(pa + d), v128.load(pb + d)) : bin64(op, v128.load(pa + d), v128.load(pb + d));
        v128.store(po + d, r);
      }
    } else if (ais == 1) {
      const y = f32 ? v128.load32_splat(pb) : v128.load64_splat(pb);
      for (let d: usize = 0; po + d < end; d += 16) {
        v128.store(po + d, f32 ? bin32(op, v128.load(pa + d), y) : bin64(op, v128.load(pa + d), y));
      }
    } else if (bis == 1) {
      const x = f32 ? v128.load32_splat(pa) : v128.load64_splat(pa);
      for (let d: usize = 0; po + d < end; d += 16) {
        v128.store(po + d, f32 ? bin32(op, x, v128.load(pb + d)) : bin64(op, x, v128.load(pb + d)));
      }
    } else {
      const x = f32 ? v128.load32_splat(pa) : v128.load64_splat(pa);
      const y = f32 ? v128.load32_splat(pb) : v128.load64_splat(pb);
      const r = f32 ? bin32(op, x, y) : bin64(op, x, y);
      for (let d: usize = 0; po + d < end; d += 16) v128.store(po + d, r);
    }
  }
}

/** Binary op over an outer x inner grid of float64 (see binLoop). */
export function binary_f64(op: i32, outer: i32, inner: i32, a: usize, aos: i32, ais: i32, b: usize, bos: i32, bis: i32, out: usize): void {
  switch (op) {
    case B_ADD: binLoop(B_ADD, false, outer, inner, a, aos, ais, b, bos, bis, out); break;
    case B_SUB: binLoop(B_SUB, false, outer, inner, a, aos, ais, b, bos, bis, out); break;
    case B_MUL: binLoop(B_MUL, false, outer, inner, a, aos, ais, b, bos, bis, out); break;
    case B_DIV: binLoop(B_DIV, false, outer, inner, a, aos, ais, b, bos, bis, out); break;
    case B_MAX: binLoop(B_MAX, false, outer, inner, a, aos, ais, b, bos, bis, out); break;
    case B_MIN: binLoop(B_MIN, false, outer, inner, a, aos, ais, b, bos, bis, out); break;
    case B_MULSZ: binLoop(B_MULSZ, false, outer, inner, a, aos, ais, b, bos, bis, out); break;
    case B_GT: binLoop(B_GT, false, outer, inner, a, aos, ais, b, bos, bis, out); break;
    case B_GE: binLoop(B_GE, false, outer, inner, a, aos, ais, b, bos, bis, out); break;
    case B_LT: binLoop(B_LT, false, outer, inner, a, aos, ais, b, bos, bis, out); break;
    case B_LE: binLoop(B_LE, false, outer, inner, a, aos, ais, b, bos, bis, out); break;
    case B_EQ: binLoop(B_EQ, false, outer, inner, a, aos, ais, b, bos, bis, out); break;
    case B_NE: binLoop(B_NE, false, outer, inner, a, aos, ais, b, bos, bis, out); break;
  }
}

/** Binary op over an outer x inner grid of float32 (see binLoop). */
export function binary_f32(op: i32, outer: i32, inner: i32, a: usize, aos: i32, ais: i32, b: usize, bos: i32, bis: i32, out: usize): void {
  switch (op) {
    case B_ADD: binLoop(B_ADD, true, outer, inner, a, aos, ais, b, bos, bis, out); break;
    case B_SUB: binLoop(B_SUB, true, outer, inner, a, aos, ais, b, bos, bis, out); break;
    case B_MUL: binLoop(B_MUL, true, outer, inner, a, aos, ais, b, bos, bis, out); break;
    case B_DIV: binLoop(B_DIV, true, outer, inner, a, aos, ais, b, bos, bis, out); break;
    case B_MAX: binLoop(B_MAX, true, outer, inner, a, aos, ais, b, bos, bis, out); break;
    case B_MIN: binLoop(B_MIN, true, outer, inner, a, aos, ais, b, bos, bis, out); break;
    case B_MULSZ: binLoop(B_MULSZ, true, outer, inner, a, aos, ais, b, bos, bis, out); break;
    case B_GT: binLoop(B_GT, true, outer, inner, a, aos, ais, b, bos, bis, out); break;
    case B_GE: binLoop(B_GE, true, outer, inner, a, aos, ais, b, bos, bis, out); break;
    case B_LT: binLoop(B_LT, true, outer, inner, a, aos, ais, b, bos, bis, out); break;
    case B_LE: binLoop(B_LE, true, outer, inner, a, aos, ais, b, bos, bis, out); break;
    case B_EQ: binLoop(B_EQ, true, outer, inner, a, aos, ais, b, bos, bis, out); break;
    case B_NE: binLoop(B_NE, true, outer, inner, a, aos, ais, b, bos, bis, out); break;
  }
}

// ---- sum -------------------------------------------------------------------------------------------

/**
 * out[o, i] = sum over j < r of x[o, j, i], for inner >= 1: vectorised across i, summing j in order, so
 * every output is the same sequence of float64 additions as in the JS kernel (bit for bit). `acc`
 * holds one row of float64 partial sums (inner rounded up to whole vectors).
 */
export function sum_f64(outer: i32, r: i32, inner: i32, x: usize, out: usize): void {
  const rowBytes = <usize>inner << 3;
  for (let o = 0; o < outer; o++) {
    const po = out + <usize>o * rowBytes;
    const end = po + rowBytes;
    for (let d: usize = 0; po + d < end; d += 16) v128.store(po + d, f64x2.splat(0));
    let px = x + <usize>(o * r) * rowBytes;
    for (let j = 0; j < r; j++, px += rowBytes) {
      for (let d: usize = 0; po + d < end; d += 16) v128.store(po + d, f64x2.add(v128.load(po + d), v128.load(px + d)));
    }
  }
}

/** As sum_f64 for float32 input, accumulating in float64 in `acc` and rounding each sum once into `out`. */
export function sum_f32(outer: i32, r: i32, inner: i32, x: usize, out: usize, acc: usize): void {
  const rowBytes = <usize>inner << 2;
  const vecs = (inner + 3) >> 2;
  const accEnd = acc + (<usize>vecs << 5);
  for (let o = 0; o < outer; o++) {
    for (let d = acc; d < accEnd; d += 16) v128.store(d, f64x2.splat(0));
    let px = x + <usize>(o * r) * rowBytes;
    for (let j = 0; j < r; j++, px += rowBytes) {
      let s = px;
      for (let d = acc; d < accEnd; d += 32, s += 16) {
        const v = v128.load(s);
        v128.store(d, f64x2.add(v128.load(d), f64x2.promote_low_f32x4(v)));
        v128.store(d, f64x2.add(v128.load(d, 16), f64x2.promote_low_f32x4(i64x2.shuffle(v, v, 1, 1))), 16);
      }
    }
    let po = out + <usize>o * rowBytes;
    for (let d = acc; d < accEnd; d += 32, po += 16) {
      v128.store(po, i64x2.shuffle(f32x4.demote_f64x2_zero(v128.load(d)), f32x4.demote_f64x2_zero(v128.load(d, 16)), 0, 2));
    }
  }
}
