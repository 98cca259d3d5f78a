import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  AdjointError,
  cholesky,
  det,
  grad,
  inv,
  LinAlgError,
  matmul,
  mul,
  ShapeError,
  slogdet,
  solve,
  stack,
  sum,
  tensor,
  type Tensor,
  toArray,
  toTypedArray,
  transpose,
  triangularSolve,
  tril,
  triu,
  zeros,
} from '../../src/index.js';
import { thrown } from '../reference.js';
import { asMat, detMat, expectClose, identity, invertibleArb, matArb, matmulMat, solveMat, spdArb, transposeMat } from '../linalgReference.js';

const SEED = { seed: 7, numRuns: 40 } as const;
const sizeArb = fc.integer({ min: 1, max: 6 });

function expectCode(f: () => unknown, code: string, op: string, fragments: ReadonlyArray<string> = []): void {
  const e = thrown(f);
  expect(e).toBeInstanceOf(AdjointError);
  expect((e as AdjointError).code).toBe(code);
  expect((e as AdjointError).op).toBe(op);
  for (const f of fragments) expect((e as AdjointError).message).toContain(f);
}

describe('solve', () => {
  test.prop([sizeArb.chain((n) => fc.tuple(invertibleArb(n), matArb(n, 3)))], SEED)('a x = b against Gaussian elimination', ([a, b]) => {
    const x = solve(tensor(a), tensor(b));
    expectClose(x, solveMat(a, b), 1e-12);
    expectClose(matmul(tensor(a), x), b, 1e-12);
  });

  it('a vector right-hand side gives a vector, and broadcasts against a batch of matrices', () => {
    const a = tensor([[[2, 0], [0, 4]], [[1, 1], [0, 1]]]);
    const x = solve(a, tensor([2, 8]));
    expect(x.shape).toEqual([2, 2]);
    expectClose(x, [[1, 2], [-6, 8]], 1e-15);
  });

  it('batch axes broadcast (a [2, 1, n, n] with b [3, n, k])', () => {
    const as = [identity(2), [[2, 1], [1, 3]]];
    const bs = [[[1], [2]], [[3], [4]], [[5], [6]]];
    const x = solve(tensor(as.map((m) => [m])), tensor(bs));
    expect(x.shape).toEqual([2, 3, 2, 1]);
    const got = toArray(x) as number[][][][];
    as.forEach((a, i) => bs.forEach((b, j) => expectClose(got[i]![j]!, solveMat(a, b), 1e-14)));
  });

  it('float32 in, float32 out; mixed dtypes promote', () => {
    const a32 = tensor([[2, 1], [1, 3]], { dtype: 'float32' });
    expect(solve(a32, tensor([1, 2], { dtype: 'float32' })).dtype).toBe('float32');
    expect(solve(a32, tensor([1, 2])).dtype).toBe('float64');
    expectClose(solve(a32, tensor([1, 2], { dtype: 'float32' })), [0.2, 0.6], 1e-6);
  });

  it('does not change its inputs', () => {
    const a = tensor([[0, 2], [3, 1]]);
    const b = tensor([[1], [2]]);
    const [ad, bd] = [toTypedArray(a), toTypedArray(b)];
    solve(a, b);
    inv(a);
    det(a);
    expect(toTypedArray(a)).toEqual(ad);
    expect(toTypedArray(b)).toEqual(bd);
  });

  it('bad input: non-square, rows that do not match, mismatched batch axes, singular', () => {
    expectCode(() => solve(zeros([2, 3]), zeros([2, 1])), 'SHAPE_MISMATCH', 'solve', ['[2, 3]', 'not square']);
    expectCode(() => solve(zeros([3]), zeros([3])), 'SHAPE_MISMATCH', 'solve', ['[3]']);
    expectCode(() => solve(tensor(identity(2)), zeros([3, 1])), 'SHAPE_MISMATCH', 'solve', ['[2, 2]', '[3, 1]']);
    expectCode(() => solve(zeros([2, 2, 2]), zeros([3, 2, 1])), 'BROADCAST_INCOMPATIBLE', 'solve', ['[2]', '[3]']);
    expectCode(() => solve(tensor([[1, 2], [2, 4]]), tensor([1, 1])), 'SINGULAR_MATRIX', 'solve', ['[2, 2]', 'singular']);
    // which matrix of a batch
    const e = thrown(() => solve(tensor([identity(2), [[1, 2], [2, 4]]]), tensor([1, 1])));
    expect(e).toBeInstanceOf(LinAlgError);
    expect((e as AdjointError).message).toContain('matrix 1');
    expect((e as AdjointError).message).toContain('[2, 2, 2]');
  });
});

describe('triangularSolve', () => {
  const cases = [true, false].flatMap((lower) => [true, false].flatMap((transposeA) => [true, false].map((leftSide) => ({ lower, transposeA, leftSide }))));

  test.prop([sizeArb.chain((n) => fc.tuple(invertibleArb(n), matArb(n, 2)))], SEED)('every flag combination agrees with solve on the explicit triangle', ([a, b]) => {
    for (const p of cases) {
      const t = p.lower ? tril(tensor(a)) : triu(tensor(a));
      const op = p.transposeA ? transpose(t) : t;
      const x = p.leftSide ? triangularSolve(tensor(a), tensor(b), p) : triangularSolve(tensor(a), tensor(transposeMat(b)), p);
      // x op(T) = B  <=>  op(T)ᵀ xᵀ = Bᵀ
      const want = p.leftSide ? solveMat(asMat(op), b) : transposeMat(solveMat(transposeMat(asMat(op)), b));
      expectClose(x, want, 1e-12);
    }
  });

  it('reads only its triangle: the other one has no effect and gets no gradient', () => {
    const a = tensor([[2, 100], [1, 4]]);
    expectClose(triangularSolve(a, tensor([2, 9]), { lower: true }), [1, 2], 1e-15);
    const g = grad((m: Tensor) => sum(mul(triangularSolve(m, tensor([2, 9]), { lower: true }), tensor([1, 1]))))(a);
    expect((toArray(g) as number[][])[0]![1]).toBe(0);
  });

  it('bad input: missing lower, unknown option, zero on the diagonal, sides that do not match', () => {
    expectCode(() => triangularSolve(tensor(identity(2)), tensor([1, 1]), {} as never), 'INVALID_ARGUMENT', 'triangularSolve', ['options.lower']);
    expectCode(() => triangularSolve(tensor(identity(2)), tensor([1, 1]), { lower: true, left: true } as never), 'UNKNOWN_OPTION', 'triangularSolve', ['left']);
    expectCode(() => triangularSolve(tensor([[1, 0], [1, 0]]), tensor([1, 1]), { lower: true }), 'SINGULAR_MATRIX', 'triangularSolve', ['[2, 2]', 'diagonal entry 1']);
    expectCode(() => triangularSolve(tensor(identity(2)), zeros([2, 3]), { lower: true, leftSide: false }), 'SHAPE_MISMATCH', 'triangularSolve', ['[2, 3]']);
  });
});

describe('inv, det, slogdet', () => {
  test.prop([sizeArb.chain((n) => invertibleArb(n))], SEED)('det(inv(a)) · det(a) = 1, and a · inv(a) = I', (a) => {
    const t = tensor(a);
    expect(Math.abs((toArray(mul(det(inv(t)), det(t))) as number) - 1)).toBeLessThan(1e-12);
    expectClose(matmul(t, inv(t)), identity(a.length), 1e-12);
  });

  test.prop([sizeArb.chain((n) => matArb(n))], SEED)('det and slogdet against elimination; det = sign · exp(logAbsDet)', (a) => {
    const want = detMat(a);
    const d = toArray(det(tensor(a))) as number;
    expect(Math.abs(d - want)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(want)));
    const [sign, logAbs] = slogdet(tensor(a));
    // (the reference's running product can underflow to ±0 for tiny entries)
    if (Math.abs(want) > 1e-200) expect(toArray(sign)).toBe(Math.sign(want));
    expect(Math.abs((toArray(sign) as number) * Math.exp(toArray(logAbs) as number) - want)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(want)));
  });

  test.prop([sizeArb.chain((n) => invertibleArb(n))], SEED)('the gradient of logdet (slogdet) is inv(a)ᵀ', (a) => {
    const g = grad((m: Tensor) => slogdet(m)[1])(tensor(a));
    expectClose(g, transposeMat(asMat(inv(tensor(a)))), 1e-12);
    // and of det it is det(a) · inv(a)ᵀ
    const gd = grad(det)(tensor(a));
    const d = detMat(a);
    expectClose(gd, transposeMat(asMat(inv(tensor(a)))).map((r) => r.map((v) => v * d)), 1e-10 * Math.max(1, Math.abs(d)));
  });

  it('slogdet does not overflow where det does', () => {
    const a = tensor(identity(200).map((r) => r.map((v) => v * 1e3)));
    expect(toArray(det(a))).toBe(Infinity);
    const [sign, logAbs] = slogdet(a);
    expect(toArray(sign)).toBe(1);
    expect(Math.abs((toArray(logAbs) as number) - 200 * Math.log(1e3))).toBeLessThan(1e-9);
  });

  it('a singular matrix: det 0 and slogdet [0, -Infinity] (NumPy), derivatives SINGULAR_MATRIX, inv SINGULAR_MATRIX', () => {
    const s = tensor([[1, 2], [2, 4]]);
    expect(toArray(det(s))).toBe(0);
    const [sign, logAbs] = slogdet(s);
    expect([toArray(sign), toArray(logAbs)]).toEqual([0, -Infinity]);
    expectCode(() => grad(det)(s), 'SINGULAR_MATRIX', 'det', ['[2, 2]', 'derivative of det']);
    expectCode(() => grad((m: Tensor) => slogdet(m)[1])(s), 'SINGULAR_MATRIX', 'slogdet', ['derivative of slogdet']);
    expectCode(() => inv(s), 'SINGULAR_MATRIX', 'inv', ['[2, 2]']);
    expect(toArray(det(zeros([0, 0])))).toBe(1);
  });

  it('non-square input is SHAPE_MISMATCH', () => {
    for (const [f, op] of [[inv, 'inv'], [det, 'det'], [(x: Tensor) => slogdet(x), 'slogdet'], [cholesky, 'cholesky']] as const) {
      expectCode(() => f(zeros([2, 3])), 'SHAPE_MISMATCH', op, ['[2, 3]']);
    }
  });
});

describe('cholesky', () => {
  test.prop([fc.integer({ min: 1, max: 40 }).chain((n) => spdArb(n))], { seed: 11, numRuns: 30 })('cholesky(a) @ cholesky(a)ᵀ = a, L lower with a positive diagonal', (a) => {
    const l = cholesky(tensor(a));
    const L = asMat(l);
    expectClose(matmulMat(L, transposeMat(L)), a, 1e-12);
    L.forEach((row, i) => row.forEach((v, j) => (j > i ? expect(v).toBe(0) : j === i ? expect(v).toBeGreaterThan(0) : undefined)));
  });

  it('symmetrizes its input (as JAX): cholesky(a) = cholesky((a + aᵀ) / 2), and its gradient is symmetric', () => {
    const a = [[4, 1], [3, 3]];
    expectClose(cholesky(tensor(a)), asMat(cholesky(tensor([[4, 2], [2, 3]]))), 1e-15);
    const g = asMat(grad((m: Tensor) => sum(mul(cholesky(m), tensor([[1, 0], [2, 3]]))))(tensor(a)));
    expect(g[0]![1]).toBeCloseTo(g[1]![0]!, 14);
  });

  it('not positive definite is NOT_POSITIVE_DEFINITE, naming the matrix', () => {
    expectCode(() => cholesky(tensor([[1, 2], [2, 1]])), 'NOT_POSITIVE_DEFINITE', 'cholesky', ['[2, 2]', 'pivot 1']);
    expectCode(() => cholesky(tensor([[-1]])), 'NOT_POSITIVE_DEFINITE', 'cholesky', ['[1, 1]']);
    const e = thrown(() => cholesky(tensor([identity(2), [[0, 0], [0, 1]]])));
    expect(e).toBeInstanceOf(LinAlgError);
    expect((e as AdjointError).message).toContain('matrix 1');
  });
});

describe('batched inputs equal a loop over the batch', () => {
  test.prop([fc.integer({ min: 1, max: 4 }).chain((n) => fc.tuple(fc.array(invertibleArb(n), { minLength: 3, maxLength: 3 }), fc.array(spdArb(n), { minLength: 3, maxLength: 3 }), fc.array(matArb(n, 2), { minLength: 3, maxLength: 3 })))], SEED)(
    'solve, triangularSolve, inv, det, slogdet, cholesky',
    ([as, spds, bs]) => {
      const A = tensor(as);
      const B = tensor(bs);
      const each = <T>(f: (i: number) => T): T[] => as.map((_, i) => f(i));
      const loop = (f: (i: number) => Tensor): Tensor => stack(each(f));
      const same = (batched: Tensor, looped: Tensor): void => expect(toTypedArray(batched)).toEqual(toTypedArray(looped));
      same(solve(A, B), loop((i) => solve(tensor(as[i]!), tensor(bs[i]!))));
      same(triangularSolve(A, B, { lower: false }), loop((i) => triangularSolve(tensor(as[i]!), tensor(bs[i]!), { lower: false })));
      same(inv(A), loop((i) => inv(tensor(as[i]!))));
      same(det(A), loop((i) => det(tensor(as[i]!))));
      same(slogdet(A)[1], loop((i) => slogdet(tensor(as[i]!))[1]));
      same(cholesky(tensor(spds)), loop((i) => cholesky(tensor(spds[i]!))));
    },
  );
});

it('ShapeError is the class of the shape errors', () => {
  expect(thrown(() => inv(zeros([2, 3])))).toBeInstanceOf(ShapeError);
});
