/**
 * The WebAssembly kernel set against the plain-JS one: every op it covers, on the layouts rules
 * produce (broadcasting, transposed and batched matmul, sums over leading axes), float64 within 1e-12
 * relative and float32 within 1e-5 (the exact ops bit for bit); loading and choosing the backend;
 * bounded memory over a long training loop; and 0-d work never crossing into WebAssembly.
 *
 * Each comparison runs the same public op twice, switching the backend in between, with the size
 * limits below which work stays in JS lowered to 1.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { wasmLimits } from '../../../src/core/backend.js';
import { callCount, memoryBytes } from '../../../src/core/backends/wasm/module.js';
import { gemm } from '../../../src/core/kernels.js';
import { gemm as jsGemm } from '../../../src/core/matmul.js';
import * as lib from '../../../src/index.js';
import { type DType, type Tensor, getBackend, grad, matmul, ready, setBackend, tensor, toTypedArray } from '../../../src/index.js';

const saved = { ...wasmLimits };
let before: 'js' | 'wasm';
beforeEach(() => {
  before = getBackend();
  Object.assign(wasmLimits, { elements: 1, flops: 1, approximate: 1 });
});
afterEach(() => {
  Object.assign(wasmLimits, saved);
  setBackend(before);
});

/** Deterministic values in [lo, hi) (an LCG). */
function values(n: number, seed: number, lo = -1, hi = 1): number[] {
  let s = (seed * 2654435761) >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((hi - lo) * s) / 2 ** 32;
  });
}

/** `f()` on each backend: [js, wasm]. */
function both<T>(f: () => T): [T, T] {
  setBackend('js');
  const js = f();
  setBackend('wasm');
  expect(getBackend()).toBe('wasm');
  return [js, f()];
}

const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, 1e-300, -1e-300, 5e-324, 1e300, -1e300, 708, -708, 709.5, -745, 710, -746, 20, -20, 40, 1e-10];

/** Every element equal (Object.is: NaN equals NaN, -0 differs from 0). */
function expectSame(name: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) expect.fail(`${name}[${i}]: wasm ${got[i]}, js ${want[i]}`);
  }
}

/** Elementwise relative agreement; non-finite values and zeros must match exactly. */
function expectClose(name: string, got: ArrayLike<number>, want: ArrayLike<number>, rel: number): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    const ok = Number.isFinite(w) && w !== 0 ? Math.abs(g - w) <= rel * Math.abs(w) : Object.is(g, w);
    if (!ok) expect.fail(`${name}[${i}]: wasm ${g}, js ${w} (relative tolerance ${rel})`);
  }
}

const TOL: Record<DType, number> = { float64: 1e-12, float32: 1e-5 };
const DTYPES: readonly DType[] = ['float64', 'float32'];

describe('choosing the backend', () => {
  it('loads synchronously in Node: wasm is active at import', async () => {
    setBackend('wasm');
    expect(getBackend()).toBe('wasm');
    await expect(ready()).resolves.toBe('wasm');
  });

  it('setBackend switches, and refuses an unknown name with a typed error', () => {
    setBackend('js');
    expect(getBackend()).toBe('js');
    setBackend('wasm');
    expect(getBackend()).toBe('wasm');
    expect(() => setBackend('gpu' as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => setBackend('gpu' as never)).toThrow(/setBackend: backend .*"gpu".*'js' or 'wasm'/);
    expect(getBackend()).toBe('wasm');
    expect(() => (setBackend as (...a: unknown[]) => void)('js', 'extra')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', op: 'setBackend' }));
    expect(getBackend()).toBe('wasm');
    expect(() => (getBackend as (...a: unknown[]) => unknown)('js')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', op: 'getBackend' }));
    expect(() => (ready as (...a: unknown[]) => unknown)('js')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', op: 'ready' }));
  });

  it('the WebAssembly kernels run only under wasm', () => {
    const x = tensor(values(100, 1));
    setBackend('js');
    let n = callCount();
    lib.exp(x);
    expect(callCount()).toBe(n);
    setBackend('wasm');
    n = callCount();
    lib.exp(x);
    expect(callCount()).toBe(n + 1);
  });
});

describe('unary maps agree with the JS kernels', () => {
  const ops = ['neg', 'abs', 'square', 'sqrt', 'exp', 'expm1', 'tanh', 'sigmoid', 'relu'] as const;
  const exact = new Set(['neg', 'abs', 'square', 'sqrt', 'relu']);
  for (const dtype of DTYPES) {
    for (const name of ops) {
      it(`${name} (${dtype}), wide range and special values, every length mod 4`, () => {
        const op = lib[name] as (x: Tensor) => Tensor;
        for (const n of [1, 2, 3, 5, 37, 1000]) {
          const xs = [...values(n, n, -30, 30), ...values(n, n + 1, -1e-3, 1e-3), ...values(n, n + 2, -800, 800), ...SPECIAL];
          const x = tensor(xs, { dtype });
          const [js, wa] = both(() => toTypedArray(op(x)));
          if (exact.has(name)) expectSame(name, wa, js);
          else expectClose(name, wa, js, TOL[dtype]);
        }
      });
    }
  }
});

describe('binary maps agree with the JS kernels bit for bit', () => {
  const ops = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'greater', 'greaterEqual', 'less', 'lessEqual', 'equal', 'notEqual'] as const;
  // shapes covering each layout: equal, scalar on either side, row and column broadcasts, both, and
  // a 3-d pattern that does not reduce to two dimensions (runs in JS)
  const shapes: ReadonlyArray<readonly [number[], number[]]> = [
    [[7, 5], [7, 5]],
    [[33], []],
    [[], [33]],
    [[6, 9], [9]],
    [[6, 9], [6, 1]],
    [[6, 1], [1, 9]],
    [[1, 9], [6, 1]],
    [[2, 3, 5], [3, 1]],
    [[4, 3, 5], [4, 1, 5]],
    [[2, 1, 3], [1, 4, 1]],
  ];
  for (const dtype of DTYPES) {
    for (const name of ops) {
      it(`${name} (${dtype})`, () => {
        const op = lib[name] as (x: Tensor, y: Tensor) => Tensor;
        shapes.forEach(([sa, sb], i) => {
          const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
          const pick = (s: number[], seed: number) => {
            // mix in special values and ties so NaN, ±0 and equal operands are covered
            const v = values(size(s), seed, -2, 2).map((x, j) => (j % 5 === 0 ? SPECIAL[(j + seed) % SPECIAL.length]! : j % 7 === 0 ? 1 : x));
            return tensor(v, { shape: s, dtype });
          };
          const a = pick(sa, i);
          const b = pick(sb, i + 3);
          const [js, wa] = both(() => toTypedArray(op(a, b)));
          expectSame(`${name} ${JSON.stringify(sa)} ${JSON.stringify(sb)}`, wa, js);
        });
      });
    }
  }

  it('mixed dtypes promote the same way', () => {
    const a = tensor(values(40, 1), { shape: [8, 5], dtype: 'float32' });
    const b = tensor(values(5, 2), { shape: [5], dtype: 'float64' });
    const [js, wa] = both(() => lib.mul(a, b));
    expect(wa.dtype).toBe('float64');
    expectSame('mul f32 x f64', toTypedArray(wa), toTypedArray(js));
  });

  it('leaves its inputs unchanged', () => {
    const a = tensor(values(40, 1), { shape: [8, 5] });
    const copy = toTypedArray(a);
    setBackend('wasm');
    lib.add(a, a);
    lib.exp(a);
    expectSame('input', toTypedArray(a), copy);
  });
});

describe('sum agrees with the JS kernel bit for bit', () => {
  for (const dtype of DTYPES) {
    it(`over leading, middle and all axes (${dtype})`, () => {
      const x = tensor(values(4 * 5 * 7 * 3, 9, -1e3, 1e3), { shape: [4, 5, 7, 3], dtype });
      const cases = [[0], [1], [2], [3], [0, 1], [1, 2], [0, 1, 2], [0, 2], [0, 1, 2, 3]];
      for (const axis of cases) {
        for (const keepdims of [false, true]) {
          const [js, wa] = both(() => lib.sum(x, { axis, keepdims }));
          expect(wa.shape).toEqual(js.shape);
          expectSame(`sum axis ${axis}`, toTypedArray(wa), toTypedArray(js));
        }
      }
    });
  }
});

describe('matmul agrees with the JS kernel', () => {
  /** max |C - C_js| over max |C_js|. */
  const relDiff = (x: ArrayLike<number>, y: ArrayLike<number>): number => {
    let d = 0;
    let s = 0;
    for (let i = 0; i < y.length; i++) {
      d = Math.max(d, Math.abs(x[i]! - y[i]!));
      s = Math.max(s, Math.abs(y[i]!));
    }
    return s === 0 ? d : d / s;
  };

  it('gemm on every operand layout (row-major, transposed, broadcast), edge tiles and offsets', () => {
    const dims = [[2, 2, 1], [3, 5, 7], [4, 8, 16], [5, 9, 17], [13, 11, 300], [67, 130, 93], [130, 67, 257], [129, 2, 513], [2, 1030, 3]];
    for (const [m, n, k] of dims as Array<[number, number, number]>) {
      for (const dt of DTYPES) {
        const Arr = dt === 'float64' ? Float64Array : Float32Array;
        // (row stride, column stride, stored length) of an r x c operand
        type Layout = (r: number, c: number) => [number, number, number];
        const layouts: ReadonlyArray<readonly [string, Layout]> = [
          ['row', (r, c) => [c, 1, r * c]],
          ['transposed', (r, c) => [1, r, r * c]],
          ['broadcast', (r) => [1, 0, r]],
        ];
        for (const [la, fa] of layouts) {
          for (const [lb, fb] of layouts) {
            const [ars, acs, alen] = fa(m, k);
            const [brs, bcs, blen] = fb(k, n);
            const a = Arr.from(values(alen + 3, m + k, -1, 1));
            const b = Arr.from(values(blen + 5, n + k, -1, 1));
            const want = new Arr(m * n + 2);
            const got = new Arr(m * n + 2).fill(7);
            jsGemm(m, n, k, a, 3, ars, acs, b, 5, brs, bcs, want, 1);
            setBackend('wasm');
            gemm(m, n, k, a, 3, ars, acs, b, 5, brs, bcs, got, 1);
            expect(got[0]).toBe(7);
            expect(got[m * n + 1]).toBe(7);
            const d = relDiff(got.subarray(1, m * n + 1), want.subarray(1, m * n + 1));
            if (!(d <= TOL[dt])) expect.fail(`${m}x${n}x${k} ${dt} A ${la} B ${lb}: relative ${d}`);
          }
        }
      }
    }
  });

  it('float64 products agree within 1e-12, float32 within 1e-5, through matmul (batched, broadcast batches)', () => {
    const shapes = [[[64, 48], [48, 40]], [[3, 1, 20, 30], [2, 30, 10]], [[5, 16, 9], [9, 33]], [[7], [7, 12]], [[12, 7], [7]]];
    for (const dtype of DTYPES) {
      shapes.forEach(([sa, sb], i) => {
        const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
        const a = tensor(values(size(sa!), i + 1), { shape: sa!, dtype });
        const b = tensor(values(size(sb!), i + 2), { shape: sb!, dtype });
        const [js, wa] = both(() => matmul(a, b));
        expect(wa.shape).toEqual(js.shape);
        const d = relDiff(toTypedArray(wa), toTypedArray(js));
        if (!(d <= TOL[dtype])) expect.fail(`${JSON.stringify(sa)} @ ${JSON.stringify(sb)} ${dtype}: relative ${d}`);
      });
    }
  });

  it("matmul's gradient (transposed products) agrees", () => {
    for (const dtype of DTYPES) {
      const a = tensor(values(60 * 50, 1), { shape: [60, 50], dtype });
      const b = tensor(values(50 * 40, 2), { shape: [50, 40], dtype });
      const w = tensor(values(60 * 40, 3), { shape: [60, 40], dtype });
      const loss = (p: { a: Tensor; b: Tensor }) => lib.sum(lib.mul(lib.tanh(matmul(p.a, p.b)), w));
      const [js, wa] = both(() => grad(loss)({ a, b }) as { a: Tensor; b: Tensor });
      for (const k of ['a', 'b'] as const) {
        const d = relDiff(toTypedArray(wa[k]), toTypedArray(js[k]));
        if (!(d <= TOL[dtype] * 10)) expect.fail(`d${k} ${dtype}: relative ${d}`);
      }
    }
  });

  it('float32 accumulates in float32 under wasm (the documented difference), in float64 under js', () => {
    // 2^24 + 1 - 2^24: exact in float64, 0 in float32
    const k = 3;
    const a = tensor(Array.from({ length: 8 * k }, () => 1), { shape: [8, k], dtype: 'float32' });
    const col = [2 ** 24, 1, -(2 ** 24)];
    const b = tensor(Array.from({ length: k * 8 }, (_, i) => col[Math.floor(i / 8)]!), { shape: [k, 8], dtype: 'float32' });
    const [js, wa] = both(() => toTypedArray(matmul(a, b)));
    expect(js[0]).toBe(1);
    expect(wa[0]).toBe(0);
  });
});

describe('memory and the boundary', () => {
  it('WebAssembly memory stays bounded over 10,000 training steps', () => {
    setBackend('wasm');
    Object.assign(wasmLimits, saved);
    const f32 = { dtype: 'float32' } as const;
    const x = tensor(values(32 * 24, 1), { shape: [32, 24], ...f32 });
    const y = tensor(values(32 * 4, 2), { shape: [32, 4], ...f32 });
    let p = {
      w1: tensor(values(24 * 16, 3, -0.3, 0.3), { shape: [24, 16], ...f32 }),
      b1: tensor(values(16, 4, -0.1, 0.1), f32),
      w2: tensor(values(16 * 4, 5, -0.3, 0.3), { shape: [16, 4], ...f32 }),
    };
    type P = typeof p;
    const loss = (q: P) => lib.mean(lib.square(lib.sub(matmul(lib.relu(lib.add(matmul(x, q.w1), q.b1)), q.w2), y)));
    const step = () => {
      const g = grad(loss)(p) as P;
      p = { w1: lib.sub(p.w1, lib.mul(g.w1, 0.05)), b1: lib.sub(p.b1, lib.mul(g.b1, 0.05)), w2: lib.sub(p.w2, lib.mul(g.w2, 0.05)) };
    };
    const calls0 = callCount();
    const first = lib.item(loss(p));
    for (let i = 0; i < 10; i++) step();
    const early = memoryBytes();
    for (let i = 10; i < 10_000; i++) step();
    expect(memoryBytes()).toBe(early);
    expect(early).toBeLessThan(4 * 2 ** 20);
    // it trained, on the WebAssembly kernels
    expect(lib.item(loss(p))).toBeLessThan(first);
    expect(callCount() - calls0).toBeGreaterThan(10_000 * 5);
  });

  it('work above maxElements (more than 32-bit WebAssembly memory could hold at once) stays in JS', () => {
    setBackend('wasm');
    wasmLimits.maxElements = 50;
    const x = tensor(values(60, 1), { shape: [6, 10] });
    const n = callCount();
    const [js, wa] = both(() => [lib.exp(x), lib.add(x, x), lib.sum(x, { axis: 0 }), matmul(x, lib.transpose(x))].map(toTypedArray));
    expect(callCount()).toBe(n);
    wa.forEach((w, i) => expectSame(`op ${i}`, w, js[i]!));
  });

  it('0-d work never crosses into WebAssembly', () => {
    setBackend('wasm');
    const n = callCount();
    const f = (x: Tensor) => {
      let y = x;
      for (let i = 0; i < 50; i++) y = lib.add(lib.mul(lib.tanh(y), lib.exp(lib.neg(lib.square(y)))), lib.relu(y));
      return y;
    };
    const g = grad(grad(f))(0.3);
    lib.item(g);
    lib.item(lib.sum(lib.sigmoid(lib.scalar(2))));
    expect(callCount()).toBe(n);
  });
});
