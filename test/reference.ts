/**
 * Plain reference implementations of the tensor ops, on flat row-major arrays with explicit index
 * math, and the fast-check arbitraries the op tests draw from. Nothing here calls the library to
 * compute a value: the only imports from `src` are used to build inputs and read results.
 */
import { fc } from '@fast-check/vitest';
import { expect } from 'vitest';
import { type DType, scalar, type Tensor, tensor, toTypedArray } from '../src/index.js';

// ---- flat arrays -------------------------------------------------------------------------------------

/** A reference array: a shape and its elements in row-major order. */
export interface Arr {
  readonly shape: number[];
  readonly data: number[];
}

export function size(shape: ReadonlyArray<number>): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** The multi-index of flat position `flat` in `shape` (row-major). */
export function unravel(flat: number, shape: ReadonlyArray<number>): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  let rem = flat;
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i]!;
    idx[i] = rem % d;
    rem = Math.floor(rem / d);
  }
  return idx;
}

/** The flat position of multi-index `idx` in `shape` (row-major). */
export function ravel(idx: ReadonlyArray<number>, shape: ReadonlyArray<number>): number {
  let flat = 0;
  for (let i = 0; i < shape.length; i++) flat = flat * shape[i]! + idx[i]!;
  return flat;
}

/** Element at multi-index `idx`. */
export function at(a: Arr, idx: ReadonlyArray<number>): number {
  return a.data[ravel(idx, a.shape)]!;
}

/** Builds an array of `shape` whose element at each multi-index is `f(idx)`. */
export function build(shape: ReadonlyArray<number>, f: (idx: number[]) => number): Arr {
  const n = size(shape);
  const data: number[] = [];
  for (let i = 0; i < n; i++) data.push(f(unravel(i, shape)));
  return { shape: [...shape], data };
}

// ---- broadcasting --------------------------------------------------------------------------------------

/** NumPy broadcast of shapes, or null when they are incompatible. */
export function broadcastShape(...shapes: ReadonlyArray<number>[]): number[] | null {
  let rank = 0;
  for (const s of shapes) rank = Math.max(rank, s.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const j = s.length - rank + i;
      if (j < 0) continue;
      const e = s[j]!;
      if (e === 1) continue;
      if (d !== 1 && d !== e) return null;
      d = e;
    }
    out.push(d);
  }
  return out;
}

/** The element of `a` that lands at output multi-index `outIdx` when `a` is broadcast to a larger rank. */
export function atBroadcast(a: Arr, outIdx: ReadonlyArray<number>): number {
  const lead = outIdx.length - a.shape.length;
  const idx = a.shape.map((d, i) => (d === 1 ? 0 : outIdx[lead + i]!));
  return at(a, idx);
}

export function broadcastTo(a: Arr, shape: ReadonlyArray<number>): Arr {
  return build(shape, (idx) => atBroadcast(a, idx));
}

// ---- elementwise ---------------------------------------------------------------------------------------

export function unary(a: Arr, f: (v: number) => number): Arr {
  return { shape: [...a.shape], data: a.data.map(f) };
}

export function binary(a: Arr, b: Arr, f: (x: number, y: number) => number): Arr {
  const shape = broadcastShape(a.shape, b.shape);
  if (shape === null) throw new Error('reference: incompatible shapes');
  return build(shape, (idx) => f(atBroadcast(a, idx), atBroadcast(b, idx)));
}

export function where(c: Arr, a: Arr, b: Arr): Arr {
  const shape = broadcastShape(c.shape, a.shape, b.shape);
  if (shape === null) throw new Error('reference: incompatible shapes');
  return build(shape, (idx) => (atBroadcast(c, idx) !== 0 ? atBroadcast(a, idx) : atBroadcast(b, idx)));
}

/** Reference definitions of the unary ops, from their textbook formulas. */
export const unaryRef = {
  neg: (x: number) => -x,
  square: (x: number) => x * x,
  sqrt: Math.sqrt,
  exp: Math.exp,
  log: Math.log,
  log1p: Math.log1p,
  expm1: Math.expm1,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  tanh: Math.tanh,
  sigmoid: (x: number) => 1 / (1 + Math.exp(-x)),
  relu: (x: number) => (x > 0 ? x : Number.isNaN(x) ? NaN : 0),
  abs: (x: number) => (x < 0 ? -x : x === 0 ? 0 : x),
  sign: (x: number) => (x > 0 ? 1 : x < 0 ? -1 : x),
} as const;

export const binaryRef = {
  add: (x: number, y: number) => x + y,
  sub: (x: number, y: number) => x - y,
  mul: (x: number, y: number) => x * y,
  div: (x: number, y: number) => x / y,
  pow: (x: number, y: number) => x ** y,
  maximum: (x: number, y: number) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : x > y ? x : y),
  minimum: (x: number, y: number) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : x < y ? x : y),
  greater: (x: number, y: number) => (x > y ? 1 : 0),
  greaterEqual: (x: number, y: number) => (x >= y ? 1 : 0),
  less: (x: number, y: number) => (x < y ? 1 : 0),
  lessEqual: (x: number, y: number) => (x <= y ? 1 : 0),
  equal: (x: number, y: number) => (x === y ? 1 : 0),
  notEqual: (x: number, y: number) => (x !== y ? 1 : 0),
} as const;

// ---- reductions ----------------------------------------------------------------------------------------

/** Axes as NumPy takes them: undefined = all, a number, or a list; negatives count from the end. */
export type Axes = number | number[] | undefined;

export function normAxes(axis: Axes, rank: number): number[] {
  if (axis === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axis === 'number' ? [axis] : axis;
  return list.map((a) => (a < 0 ? a + rank : a));
}

/**
 * Groups the elements of `a` by output position after reducing `axis`, then folds each group with
 * `fold`. Returns the reduced array (shape with reduced axes removed, or 1 with keepdims).
 */
export function reduce(a: Arr, axis: Axes, keepdims: boolean, fold: (values: number[]) => number): Arr {
  const axes = normAxes(axis, a.shape.length);
  const kept = a.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const groups: number[][] = Array.from({ length: size(kept) }, () => []);
  for (let i = 0; i < a.data.length; i++) {
    const idx = unravel(i, a.shape);
    const outIdx = idx.map((v, d) => (axes.includes(d) ? 0 : v));
    groups[ravel(outIdx, kept)]!.push(a.data[i]!);
  }
  const shape = keepdims ? kept : a.shape.filter((_, i) => !axes.includes(i));
  return { shape, data: groups.map(fold) };
}

export const foldSum = (vs: number[]): number => {
  let s = 0;
  for (const v of vs) s += v;
  return s;
};
export const foldMean = (vs: number[]): number => foldSum(vs) / vs.length;
export const foldMax = (vs: number[]): number => {
  let m = -Infinity;
  for (const v of vs) {
    if (Number.isNaN(v)) return NaN;
    if (v > m) m = v;
  }
  return m;
};
export const foldMin = (vs: number[]): number => {
  let m = Infinity;
  for (const v of vs) {
    if (Number.isNaN(v)) return NaN;
    if (v < m) m = v;
  }
  return m;
};
/** log Σ exp(v), shifting by the maximum so large inputs do not overflow. */
export const foldLogsumexp = (vs: number[]): number => {
  const m = foldMax(vs);
  if (Number.isNaN(m)) return NaN;
  if (m === Infinity || m === -Infinity) return m;
  let s = 0;
  for (const v of vs) s += Math.exp(v - m);
  return m + Math.log(s);
};

/** softmax (or log-softmax) along one axis. */
export function softmax(a: Arr, axis: number, log: boolean): Arr {
  const ax = axis < 0 ? axis + a.shape.length : axis;
  return build(a.shape, (idx) => {
    const row: number[] = [];
    for (let j = 0; j < a.shape[ax]!; j++) {
      const other = [...idx];
      other[ax] = j;
      row.push(at(a, other));
    }
    const lse = foldLogsumexp(row);
    const v = at(a, idx);
    return log ? v - lse : Math.exp(v - lse);
  });
}

// ---- linear algebra ------------------------------------------------------------------------------------

/** NumPy matmul: 1-d operands become a row (left) or column (right) and that axis is dropped. */
export function matmul(a: Arr, b: Arr): Arr {
  const a2 = a.shape.length === 1 ? { shape: [1, a.shape[0]!], data: a.data } : a;
  const b2 = b.shape.length === 1 ? { shape: [b.shape[0]!, 1], data: b.data } : b;
  const ra = a2.shape.length;
  const rb = b2.shape.length;
  const m = a2.shape[ra - 2]!;
  const k = a2.shape[ra - 1]!;
  const n = b2.shape[rb - 1]!;
  if (b2.shape[rb - 2] !== k) throw new Error('reference: inner mismatch');
  const batch = broadcastShape(a2.shape.slice(0, -2), b2.shape.slice(0, -2));
  if (batch === null) throw new Error('reference: batch mismatch');
  const full = build([...batch, m, n], (idx) => {
    const bi = idx.slice(0, -2);
    const i = idx[idx.length - 2]!;
    const j = idx[idx.length - 1]!;
    let s = 0;
    for (let p = 0; p < k; p++) {
      s += atBroadcast(a2, [...bi, i, p]) * atBroadcast(b2, [...bi, p, j]);
    }
    return s;
  });
  const shape = [...batch];
  if (a.shape.length > 1) shape.push(m);
  if (b.shape.length > 1) shape.push(n);
  return { shape, data: full.data };
}

// ---- structure -----------------------------------------------------------------------------------------

export function reshape(a: Arr, shape: ReadonlyArray<number>): Arr {
  const known = shape.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
  return { shape: shape.map((d) => (d === -1 ? a.data.length / known : d)), data: [...a.data] };
}

export function transpose(a: Arr, perm?: ReadonlyArray<number>): Arr {
  const rank = a.shape.length;
  const p = perm === undefined ? a.shape.map((_, i) => rank - 1 - i) : perm.map((x) => (x < 0 ? x + rank : x));
  const shape = p.map((x) => a.shape[x]!);
  return build(shape, (outIdx) => {
    const inIdx = new Array<number>(rank);
    for (let i = 0; i < rank; i++) inIdx[p[i]!] = outIdx[i]!;
    return at(a, inIdx);
  });
}

/** NumPy basic slicing `a[s0:e0, s1:e1, ...]` with step 1: negative bounds wrap once, then clamp. */
export function slice(a: Arr, start: ReadonlyArray<number>, end?: ReadonlyArray<number>): Arr {
  const bound = (v: number, d: number): number => {
    let x = v < 0 ? v + d : v;
    if (x < 0) x = 0;
    if (x > d) x = d;
    return x;
  };
  const s = a.shape.map((d, i) => bound(start[i] ?? 0, d));
  const e = a.shape.map((d, i) => bound(end?.[i] ?? d, d));
  const shape = a.shape.map((_, i) => Math.max(0, e[i]! - s[i]!));
  return build(shape, (idx) => at(a, idx.map((v, i) => v + s[i]!)));
}

export function concat(parts: ReadonlyArray<Arr>, axis: number): Arr {
  const first = parts[0]!;
  const ax = axis < 0 ? axis + first.shape.length : axis;
  let total = 0;
  for (const p of parts) total += p.shape[ax]!;
  const shape = first.shape.map((d, i) => (i === ax ? total : d));
  return build(shape, (idx) => {
    let j = idx[ax]!;
    for (const p of parts) {
      if (j < p.shape[ax]!) {
        const inner = [...idx];
        inner[ax] = j;
        return at(p, inner);
      }
      j -= p.shape[ax]!;
    }
    throw new Error('reference: unreachable');
  });
}

export function stack(parts: ReadonlyArray<Arr>, axis: number): Arr {
  const first = parts[0]!;
  const ax = axis < 0 ? axis + first.shape.length + 1 : axis;
  const shape = [...first.shape];
  shape.splice(ax, 0, parts.length);
  return build(shape, (idx) => {
    const inner = [...idx];
    const [which] = inner.splice(ax, 1);
    return at(parts[which!]!, inner);
  });
}

/** `take` along `axis` with integer indices of shape `indShape` (negative ones wrap). */
export function take(a: Arr, indices: ReadonlyArray<number>, indShape: ReadonlyArray<number>, axis: number): Arr {
  const ax = axis < 0 ? axis + a.shape.length : axis;
  const d = a.shape[ax]!;
  const shape = [...a.shape.slice(0, ax), ...indShape, ...a.shape.slice(ax + 1)];
  return build(shape, (idx) => {
    const pre = idx.slice(0, ax);
    const pos = idx.slice(ax, ax + indShape.length);
    const post = idx.slice(ax + indShape.length);
    let j = indices[ravel(pos, indShape)]!;
    if (j < 0) j += d;
    return at(a, [...pre, j, ...post]);
  });
}

export function pad(a: Arr, widths: ReadonlyArray<readonly [number, number]>, value: number): Arr {
  const shape = a.shape.map((d, i) => widths[i]![0] + d + widths[i]![1]);
  return build(shape, (idx) => {
    const inner = idx.map((v, i) => v - widths[i]![0]);
    const inside = inner.every((v, i) => v >= 0 && v < a.shape[i]!);
    return inside ? at(a, inner) : value;
  });
}

// ---- bridging to the library (inputs and read-out only) ------------------------------------------------

/** The library tensor holding `a` (0-d arrays go through `scalar`). */
export function toTensor(a: Arr, dtype: DType = 'float64'): Tensor {
  if (a.shape.length === 0) return scalar(a.data[0]!, { dtype });
  return tensor(dtype === 'float64' ? Float64Array.from(a.data) : Float32Array.from(a.data), { shape: a.shape, dtype });
}

/** Float32-rounded copy: the values a float32 tensor of `a` holds. */
export function fround(a: Arr): Arr {
  return { shape: [...a.shape], data: a.data.map(Math.fround) };
}

export interface CloseOptions {
  /** Relative tolerance; 0 together with atol 0 means bitwise equality (Object.is, so -0 ≠ 0). */
  readonly rtol?: number;
  readonly atol?: number;
  /** Per-element scale the relative tolerance applies to (defaults to |want|). */
  readonly scale?: ReadonlyArray<number>;
  readonly dtype?: DType;
}

/** True when `got` matches `want`: NaN ↔ NaN, infinities exactly, finite values within tolerance. */
export function close(got: number, want: number, rtol: number, atol: number, scale = Math.abs(want)): boolean {
  if (Number.isNaN(want)) return Number.isNaN(got);
  if (!Number.isFinite(want)) return got === want;
  if (rtol === 0 && atol === 0) return Object.is(got, want);
  return Math.abs(got - want) <= atol + rtol * scale;
}

/** Asserts the tensor's shape, dtype and every element against a reference array. */
export function expectTensor(t: Tensor, want: Arr, options: CloseOptions = {}): void {
  const { rtol = 0, atol = 0, scale, dtype } = options;
  expect([...t.shape]).toEqual(want.shape);
  if (dtype !== undefined) expect(t.dtype).toBe(dtype);
  const got = toTypedArray(t);
  expect(got.length).toBe(want.data.length);
  for (let i = 0; i < got.length; i++) {
    if (!close(got[i]!, want.data[i]!, rtol, atol, scale?.[i])) {
      expect.fail(`element ${i} (index [${unravel(i, want.shape).join(', ')}]) is ${got[i]}, expected ${want.data[i]} (rtol ${rtol}, atol ${atol})`);
    }
  }
}

/**
 * Asserts `actual` has `expected`'s shape and every element within `tol` of it, relative to
 * max(1, |expected|) (NaN only where expected is NaN); `what` names the value in the failure, which
 * reports the worst element.
 */
export function expectClose(actual: Tensor, expected: Tensor, tol: number, what: string): void {
  expect([...actual.shape], `${what}: shape`).toEqual([...expected.shape]);
  const a = toTypedArray(actual);
  const e = toTypedArray(expected);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < e.length; i++) {
    const x = a[i]!;
    const y = e[i]!;
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (Number.isNaN(x) !== Number.isNaN(y)) expect.fail(`${what}: element ${i} is ${x}, expected ${y}`);
      continue;
    }
    if (x === y) continue;
    const err = Math.abs(x - y) / Math.max(1, Math.abs(y));
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  if (worst > tol) expect.fail(`${what}: element ${at} is ${a[at]}, expected ${e[at]} (relative error ${worst.toExponential(2)} > ${tol})`);
}

// ---- arbitraries ---------------------------------------------------------------------------------------

/** A dimension: mostly 2..4, often 1 (broadcasting), sometimes 0 (empty). */
export const dimArb: fc.Arbitrary<number> = fc.oneof(
  { arbitrary: fc.constant(0), weight: 1 },
  { arbitrary: fc.constant(1), weight: 4 },
  { arbitrary: fc.integer({ min: 2, max: 4 }), weight: 7 },
);

/** A shape of rank `minRank..maxRank`. */
export const shapeArb = (minRank = 0, maxRank = 4, dim: fc.Arbitrary<number> = dimArb): fc.Arbitrary<number[]> =>
  fc.array(dim, { minLength: minRank, maxLength: maxRank });

/** Finite doubles in [min, max]. */
export const valueArb = (min = -10, max = 10): fc.Arbitrary<number> => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });

/** Small integers: ties and equalities happen often. */
export const intValueArb: fc.Arbitrary<number> = fc.integer({ min: -3, max: 3 });

/** Values that include the IEEE specials. */
export const specialValueArb: fc.Arbitrary<number> = fc.oneof(
  { arbitrary: valueArb(-5, 5), weight: 4 },
  { arbitrary: fc.constantFrom(NaN, -0, 0, Infinity, -Infinity), weight: 1 },
);

/** Values exactly representable in float32. */
export const float32ValueArb = (min = -10, max = 10): fc.Arbitrary<number> =>
  fc.float({ min: Math.fround(min), max: Math.fround(max), noNaN: true, noDefaultInfinity: true }).map((v) => (v === 0 ? 0 : v));

/** An array of the given shape. */
export const arrOfShape = (shape: ReadonlyArray<number>, values: fc.Arbitrary<number> = valueArb()): fc.Arbitrary<Arr> =>
  fc.array(values, { minLength: size(shape), maxLength: size(shape) }).map((data) => ({ shape: [...shape], data }));

/** An array of random shape. */
export const arrArb = (values: fc.Arbitrary<number> = valueArb(), minRank = 0, maxRank = 4): fc.Arbitrary<Arr> =>
  shapeArb(minRank, maxRank).chain((s) => arrOfShape(s, values));

/** A shape that broadcasts to `out`: some leading axes dropped, some axes set to 1. */
export const operandShapeArb = (out: ReadonlyArray<number>): fc.Arbitrary<number[]> =>
  fc
    .tuple(fc.integer({ min: 0, max: out.length }), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }))
    .map(([drop, ones]) => out.slice(drop).map((d, i) => (ones[drop + i] ? 1 : d)));

/** `count` shapes that broadcast together (ranks 0..4, with 0- and 1-sized dimensions). */
export const broadcastableShapesArb = (count: number): fc.Arbitrary<number[][]> =>
  shapeArb().chain((out) => fc.tuple(...Array.from({ length: count }, () => operandShapeArb(out))));

/** `count` arrays whose shapes broadcast together. */
export const broadcastableArrsArb = (count: number, values: fc.Arbitrary<number> = valueArb()): fc.Arbitrary<Arr[]> =>
  broadcastableShapesArb(count).chain((shapes) => fc.tuple(...shapes.map((s) => arrOfShape(s, values))));

/** The `axis` option of a reduction over rank `rank`: omitted, one (maybe negative) axis, or a list. */
export const axesArb = (rank: number): fc.Arbitrary<Axes> => {
  const all = Array.from({ length: rank }, (_, i) => i);
  const one = rank === 0 ? fc.constant(undefined) : fc.integer({ min: -rank, max: rank - 1 });
  const list = fc
    .tuple(fc.shuffledSubarray(all), fc.array(fc.boolean(), { minLength: rank, maxLength: rank }))
    .map(([axes, negate]) => axes.map((a, i) => (negate[i] ? a - rank : a)));
  return fc.oneof(fc.constant(undefined), one, list);
};

/** A permutation of `0..rank-1`, some entries written negatively. */
export const permArb = (rank: number): fc.Arbitrary<number[]> =>
  fc
    .tuple(
      fc.shuffledSubarray(Array.from({ length: rank }, (_, i) => i), { minLength: rank, maxLength: rank }),
      fc.array(fc.boolean(), { minLength: rank, maxLength: rank }),
    )
    .map(([perm, negate]) => perm.map((a, i) => (negate[i] ? a - rank : a)));

/** What `f` throws (undefined if it returns): the shared first step of the typed-error assertions. */
export function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}
