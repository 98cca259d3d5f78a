import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  add,
  AdjointError,
  LinAlgError,
  cholesky,
  det,
  diagonal,
  eigh,
  inv,
  norm,
  slogdet,
  solve,
  trace,
  triangularSolve,
  tril,
  triu,
  exp,
  grad,
  jvp,
  matmul,
  mul,
  qr,
  stack,
  sum,
  tensor,
  type Tensor,
  toArray,
  toTypedArray,
  zeros,
} from '../../src/index.js';
import { thrown } from '../reference.js';
import { asMat, distinctSymmetricArb, expectClose, identity, invertibleArb, type Mat, matArb, matmulMat, transposeMat } from '../linalgReference.js';

const SEED = { seed: 5, numRuns: 40 } as const;

function checkQr(a: Mat): void {
  const [q, r] = qr(tensor(a));
  const m = a.length;
  const n = a[0]!.length;
  const k = Math.min(m, n);
  expect(q.shape).toEqual([m, k]);
  expect(r.shape).toEqual([k, n]);
  const Q = asMat(q);
  const R = asMat(r);
  expectClose(matmulMat(Q, R), a, 1e-12);
  expectClose(matmulMat(transposeMat(Q), Q), identity(k), 1e-12);
  R.forEach((row, i) => row.forEach((v, j) => (j < i ? expect(v).toBe(0) : j === i ? expect(v).toBeGreaterThanOrEqual(0) : undefined)));
}

describe('qr', () => {
  const dims = fc.tuple(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 }));
  test.prop([dims.chain(([m, n]) => matArb(m, n))], SEED)('reconstruction q r = a, orthonormal columns, r upper triangular with a non-negative diagonal (tall, square, wide)', (a) => {
    checkQr(a);
  });

  it('larger and rank-deficient matrices', () => {
    const big = Array.from({ length: 40 }, (_, i) => Array.from({ length: 25 }, (_, j) => Math.sin(i * 7 + j * 3)));
    checkQr(big);
    checkQr([[1, 2], [2, 4], [3, 6]]);
    checkQr([[0, 0], [0, 0]]);
  });

  it('float32 in, float32 out', () => {
    const [q, r] = qr(tensor([[3, 1], [4, 2]], { dtype: 'float32' }));
    expect([q.dtype, r.dtype]).toEqual(['float32', 'float32']);
    expectClose(r, [[5, 2.2], [0, 0.4]], 1e-6);
  });

  it('the derivative of a rank-deficient factor is SINGULAR_MATRIX, not NaN', () => {
    const e = thrown(() => grad((a: Tensor) => sum(qr(a)[0]))(tensor([[1, 1], [0, 0]])));
    expect(e).toBeInstanceOf(AdjointError);
    expect((e as AdjointError).code).toBe('SINGULAR_MATRIX');
    expect((e as AdjointError).op).toBe('qr');
  });

  it('needs a matrix', () => {
    const e = thrown(() => qr(zeros([3])));
    expect((e as AdjointError).code).toBe('SHAPE_MISMATCH');
    expect((e as AdjointError).message).toContain('[3]');
  });
});

describe('eigh', () => {
  test.prop([fc.integer({ min: 1, max: 8 }).chain((n) => distinctSymmetricArb(n))], SEED)('a v = v diag(w), w ascending, v orthogonal', (a) => {
    const [w, v] = eigh(tensor(a));
    const W = toArray(w) as number[];
    const V = asMat(v);
    W.forEach((x, i) => i > 0 && expect(x).toBeGreaterThan(W[i - 1]!));
    expectClose(matmulMat(a, V), V.map((row) => row.map((x, j) => x * W[j]!)), 1e-11);
    expectClose(matmulMat(transposeMat(V), V), identity(a.length), 1e-12);
  });

  it('a larger matrix (n = 30) and one with repeated eigenvalues', () => {
    const n = 30;
    const a = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => Math.cos(i + j) + (i === j ? i : 0)));
    const [w, v] = eigh(tensor(a));
    const V = asMat(v);
    const W = toArray(w) as number[];
    expectClose(matmulMat(a, V), V.map((row) => row.map((x, j) => x * W[j]!)), 1e-10);
    const [w2] = eigh(tensor([[2, 0, 0], [0, 1, 0], [0, 0, 2]]));
    expect(toArray(w2)).toEqual([1, 2, 2]);
  });

  test.prop([fc.integer({ min: 2, max: 5 }).chain((n) => fc.tuple(distinctSymmetricArb(n), matArb(n)))], { seed: 9, numRuns: 25 })(
    'derivatives against central finite differences (distinct eigenvalues), both outputs, forward and reverse',
    ([a, d]) => {
      const A = tensor(a);
      const D = tensor(d);
      const eps = 1e-6;
      const plus = eigh(tensor(a.map((r, i) => r.map((x, j) => x + eps * d[i]![j]!))));
      const minus = eigh(tensor(a.map((r, i) => r.map((x, j) => x - eps * d[i]![j]!))));
      const [, [wDot, vDot]] = jvp((m: Tensor) => eigh(m), [A], [D]) as [unknown, [Tensor, Tensor]];
      const fd = (k: 0 | 1): number[] => Array.from(toTypedArray(plus[k])).map((x, i) => (x - toTypedArray(minus[k])[i]!) / (2 * eps));
      const close = (got: Float64Array | Float32Array, want: number[]): void => {
        got.forEach((x, i) => expect(Math.abs(x - want[i]!)).toBeLessThan(1e-6));
      };
      close(toTypedArray(wDot), fd(0));
      close(toTypedArray(vDot), fd(1));
      // reverse mode: grad of <c, v> + <e, w> against the same differences
      const c = tensor(a.map((r) => r.map((_, j) => j + 1)));
      const e = tensor(a.map((_, i) => 1 - i));
      const g = grad((m: Tensor) => {
        const [w, v] = eigh(m);
        return add(sum(mul(v, c)), sum(mul(w, e)));
      })(A);
      const directional = Array.from(toTypedArray(g)).reduce((s, x, i) => s + x * d[Math.floor(i / a.length)]![i % a.length]!, 0);
      const cv = toTypedArray(c);
      const ev = toTypedArray(e);
      const want = fd(1).reduce((s, x, i) => s + x * cv[i]!, 0) + fd(0).reduce((s, x, i) => s + x * ev[i]!, 0);
      expect(Math.abs(directional - want)).toBeLessThan(1e-6 * Math.max(1, Math.abs(want)));
    },
  );

  it('repeated eigenvalues: no NaN; exact for functions symmetric in the repeated eigenvalues', () => {
    // tr(exp(A)) = Σ exp(λ): its gradient is exp(A) = V diag(exp(w)) Vᵀ, here e·I (λ = 1, 1, 1)
    const g = grad((m: Tensor) => sum(exp(eigh(m)[0])))(tensor(identity(3)));
    expectClose(g, identity(3).map((r) => r.map((x) => x * Math.E)), 1e-12);
    // eigenvector derivatives at a repeated eigenvalue are finite (the coupling terms are dropped)
    const gv = grad((m: Tensor) => sum(mul(eigh(m)[1], tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]]))))(tensor([[2, 0, 0], [0, 2, 0], [0, 0, 1]]));
    expect(toTypedArray(gv).every(Number.isFinite)).toBe(true);
  });

  it('needs a square matrix', () => {
    const e = thrown(() => eigh(zeros([2, 3])));
    expect((e as AdjointError).code).toBe('SHAPE_MISMATCH');
    expect((e as AdjointError).op).toBe('eigh');
  });
});

describe('batched inputs equal a loop over the batch', () => {
  test.prop([fc.integer({ min: 1, max: 4 }).chain((n) => fc.tuple(fc.array(invertibleArb(n), { minLength: 3, maxLength: 3 }), fc.array(distinctSymmetricArb(n), { minLength: 3, maxLength: 3 })))], SEED)(
    'qr and eigh',
    ([as, syms]) => {
      const same = (batched: Tensor, looped: Tensor[]): void => expect(toTypedArray(batched)).toEqual(toTypedArray(stack(looped)));
      const [q, r] = qr(tensor(as));
      same(q, as.map((a) => qr(tensor(a))[0]));
      same(r, as.map((a) => qr(tensor(a))[1]));
      const [w, v] = eigh(tensor(syms));
      same(w, syms.map((a) => eigh(tensor(a))[0]));
      same(v, syms.map((a) => eigh(tensor(a))[1]));
    },
  );

  it('a batch of non-square matrices through qr, and its gradient', () => {
    const a = tensor([[[1, 2, 3], [4, 5, 6]], [[0, 1, 1], [1, 0, 2]]]);
    const [q, r] = qr(a);
    expectClose(matmul(q, r), toArray(a), 1e-12);
    // the wide case's rule (R = [R₁ R₂], R₂ = Qᵀ A₂) against a batch of one-at-a-time gradients
    const weights = tensor([[1, 2, 3], [4, 5, 6]]);
    const loss = (x: Tensor) => sum(mul(qr(x)[1], weights));
    const g = grad(loss)(a);
    expect(toTypedArray(g)).toEqual(toTypedArray(stack([0, 1].map((i) => grad(loss)(tensor((toArray(a) as number[][][])[i]!))))));
  });
});

describe('every linear-algebra op', () => {
  const a = [[4, 2, 1], [2, 3, 0.5], [1, 0.5, 2]];
  const ops: ReadonlyArray<readonly [string, (x: Tensor) => unknown]> = [
    ['solve', (x) => solve(x, tensor([1, 2, 3], { dtype: x.dtype }))],
    ['triangularSolve', (x) => triangularSolve(x, tensor([1, 2, 3], { dtype: x.dtype }), { lower: true })],
    ['cholesky', cholesky],
    ['inv', inv],
    ['det', det],
    ['slogdet', slogdet],
    ['qr', qr],
    ['eigh', eigh],
    ['norm', (x) => norm(x)],
    ['trace', (x) => trace(x)],
    ['diagonal', (x) => diagonal(x)],
    ['triu', (x) => triu(x)],
    ['tril', (x) => tril(x)],
  ];

  it('leaves its input unchanged', () => {
    for (const [name, f] of ops) {
      const x = tensor(a);
      const before = toTypedArray(x);
      f(x);
      expect(toTypedArray(x), name).toEqual(before);
    }
  });

  it('keeps float32 as float32, with the float64 values rounded', () => {
    for (const [name, f] of ops) {
      const outs32 = [f(tensor(a, { dtype: 'float32' }))].flat() as Tensor[];
      const outs64 = [f(tensor(a))].flat() as Tensor[];
      outs32.forEach((o, i) => {
        expect(o.dtype, name).toBe('float32');
        expectClose(o, toArray(outs64[i]!), 1e-5);
      });
    }
  });
});

describe('a matrix with a NaN or an infinity is NON_FINITE, in every op that factors it', () => {
  const factoring: ReadonlyArray<readonly [string, (x: Tensor) => unknown]> = [
    ['solve', (x) => solve(x, tensor([1, 2, 3]))],
    ['triangularSolve', (x) => triangularSolve(x, tensor([1, 2, 3]), { lower: true })],
    ['cholesky', cholesky],
    ['inv', inv],
    ['det', det],
    ['slogdet', slogdet],
    ['qr', qr],
    ['eigh', eigh],
  ];
  const a = [[4, 2, 1], [2, 3, 0.5], [1, 0.5, 2]];

  it('names the op, the matrix and the entry (solve said "pivot 0 is exactly 0"; eigh returned all NaN)', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      for (const [name, f] of factoring) {
        const m = a.map((row) => [...row]);
        m[2]![1] = bad; // in the lower triangle, which every op reads
        const e = thrown(() => f(tensor(m)));
        expect(e, name).toBeInstanceOf(LinAlgError);
        expect([(e as AdjointError).code, (e as AdjointError).op]).toEqual(['NON_FINITE', name]);
        expect((e as AdjointError).message).toContain(`the matrix of shape [3, 3] has entry [2, 1] = ${bad}`);
        // in a batch, and under a transform (the check runs on the values, where the kernel runs)
        const batch = tensor([a, m]);
        const eb = thrown(() => f(batch));
        expect((eb as AdjointError).message, name).toContain('matrix 1 (of shape [3, 3]) in the batch of shape [2, 3, 3]');
        expect((thrown(() => grad((x: Tensor) => sum([f(x)].flat(2)[0] as Tensor))(tensor(m))) as AdjointError).code, name).toBe('NON_FINITE');
      }
    }
  });

  it('triangularSolve checks only the triangle it reads; a right-hand side is not checked (its NaN propagates)', () => {
    expect(toArray(triangularSolve(tensor([[1, NaN], [1, 1]]), tensor([1, 1]), { lower: true }))).toEqual([1, 0]);
    expect((thrown(() => triangularSolve(tensor([[1, NaN], [1, 1]]), tensor([1, 1]), { lower: false })) as AdjointError).code).toBe('NON_FINITE');
    expect(Number.isNaN((toArray(solve(tensor([[2, 0], [0, 2]]), tensor([NaN, 2]))) as number[])[0])).toBe(true);
  });

  it('eigh of finite entries whose squares overflow: the eigenvalues, not NaN', () => {
    const [w, v] = eigh(tensor([[1e200, 1], [1, 1e200]]));
    expect(toArray(w)).toEqual([1e200, 1e200]);
    expect(toTypedArray(v).every(Number.isFinite)).toBe(true);
    const [w2] = eigh(tensor([[3e200, 1e200], [1e200, 3e200]]));
    expect((toArray(w2) as number[]).map((x) => x / 1e200)).toEqual([2, 4].map((x) => expect.closeTo(x, 12)));
  });
});
