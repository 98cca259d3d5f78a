import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  abs,
  AdjointError,
  add,
  ArgumentError,
  concat,
  exp,
  grad,
  greater,
  hessian,
  hvp,
  item,
  jacfwd,
  jacrev,
  jvp,
  log,
  logSoftmax,
  logsumexp,
  matmul,
  max,
  maximum,
  neg,
  min,
  minimum,
  mul,
  onesLike,
  relu,
  reshape,
  scalar,
  ShapeError,
  sign,
  sin,
  slice,
  softmax,
  sqrt,
  square,
  stack,
  stopGradient,
  sub,
  sum,
  take,
  tanh,
  type Tensor,
  tensor,
  toArray,
  toTypedArray,
  valueAndGrad,
  vjp,
  where,
  zeros,
  vmap,
} from '../../src/index.js';
import { expectTyped } from '../typed.js';
import { thrown } from '../reference.js';

// ---- helpers -------------------------------------------------------------------------------------

const SEED = { seed: 7, numRuns: 30 } as const;

/** The elements of a tensor, row-major. */
const flat = (t: Tensor): number[] => Array.from(toTypedArray(t));

/** Asserts `actual` has `shape` and elements within `tol` (absolute, scaled by max(1, |expected|)) of `expected`. */
function expectTensor(actual: unknown, shape: ReadonlyArray<number>, expected: ReadonlyArray<number>, tol = 1e-10): void {
  expect(actual, 'a Tensor').toHaveProperty('shape');
  const t = actual as Tensor;
  expect([...t.shape]).toEqual([...shape]);
  const got = flat(t);
  expect(got.length).toBe(expected.length);
  got.forEach((v, i) => {
    const e = expected[i]!;
    if (!Number.isFinite(e)) expect(v, `element ${i}`).toBe(e);
    else expect(Math.abs(v - e), `element ${i}: got ${v}, expected ${e}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(e)));
  });
}

/** Runs `f`, expecting it to throw an `AdjointError` with `code` whose message contains every string of `mentions`. */
function expectAdjointError(f: () => unknown, code: string, mentions: ReadonlyArray<string | RegExp>, cls: Function = AdjointError): AdjointError {
  const caught = thrown(() => f());
  expect(caught, 'an error was thrown').toBeInstanceOf(cls);
  const err = caught as AdjointError;
  expect(err).toBeInstanceOf(AdjointError);
  expect(err.code).toBe(code);
  for (const m of mentions) expect(err.message).toMatch(m);
  return err;
}

type Fn1 = (x: Tensor) => Tensor;

/** The i-th element of a 1-d tensor as a 0-d tensor (traceable). */
const at = (x: Tensor, i: number): Tensor => take(x, i);

// ---- functions with known derivatives ------------------------------------------------------------

/** n-dimensional Rosenbrock: Σ 100 (x[i+1] - x[i]²)² + (1 - x[i])². */
const rosen: Fn1 = (x) => {
  const n = x.shape[0]!;
  const a = slice(x, [0], [n - 1]);
  const b = slice(x, [1], [n]);
  return sum(add(mul(100, square(sub(b, square(a)))), square(sub(1, a))));
};

function rosenGrad(x: ReadonlyArray<number>): number[] {
  const n = x.length;
  return x.map((xi, i) => {
    let g = 0;
    if (i < n - 1) g += -400 * xi * (x[i + 1]! - xi * xi) - 2 * (1 - xi);
    if (i > 0) g += 200 * (xi - x[i - 1]! ** 2);
    return g;
  });
}

function rosenHessian(x: ReadonlyArray<number>): number[] {
  const n = x.length;
  const h = new Array<number>(n * n).fill(0);
  for (let i = 0; i < n; i++) {
    let d = 0;
    if (i < n - 1) d += 1200 * x[i]! ** 2 - 400 * x[i + 1]! + 2;
    if (i > 0) d += 200;
    h[i * n + i] = d;
    if (i < n - 1) {
      h[i * n + i + 1] = -400 * x[i]!;
      h[(i + 1) * n + i] = -400 * x[i]!;
    }
  }
  return h;
}

describe('known derivatives', () => {
  it.each([1, 2, 3, 4, 5, 6])('the %i-th derivative of sin by nested grad is sin(x + n π/2)', (n) => {
    let f: (x: Tensor) => Tensor = sin;
    for (let k = 0; k < n; k++) f = grad(f);
    for (const x of [-2.3, -0.7, 0, 0.4, 1.1, 3]) {
      expect(item(f(scalar(x))), `x = ${x}`).toBeCloseTo(Math.sin(x + (n * Math.PI) / 2), 12);
    }
  });

  it('nested grad of sin also works on a tensor input through sum (elementwise n-th derivatives)', () => {
    const xs = [-1, 0.25, 2];
    let g: Fn1 = (x) => sum(sin(x));
    g = grad(g); // cos
    const g2: Fn1 = grad((x: Tensor) => sum(g(x))); // -sin
    const g3: Fn1 = grad((x: Tensor) => sum(g2(x))); // -cos
    expectTensor(g3(tensor(xs)), [3], xs.map((x) => -Math.cos(x)), 1e-12);
  });

  const points2: Array<[number, number]> = [
    [1, 1],
    [-1.2, 1],
    [0, 0],
    [0.5, -0.3],
    [2, 3.5],
  ];

  it.each(points2)('2-d Rosenbrock (scalar arguments) at (%d, %d): gradient and Hessian match the formulas', (x, y) => {
    const f = (a: Tensor, b: Tensor): Tensor => add(square(sub(1, a)), mul(100, square(sub(b, square(a)))));
    const [gx, gy] = grad(f, { argnums: [0, 1] })(scalar(x), scalar(y)) as [Tensor, Tensor];
    const [ex, ey] = rosenGrad([x, y]);
    expect(item(gx)).toBeCloseTo(ex!, 9);
    expect(item(gy)).toBeCloseTo(ey!, 9);
    // nested structure: [[d²f/dx², d²f/dxdy], [d²f/dydx, d²f/dy²]]
    const H = hessian(f, { argnums: [0, 1] })(scalar(x), scalar(y)) as [[Tensor, Tensor], [Tensor, Tensor]];
    const e = rosenHessian([x, y]);
    expect(item(H[0][0])).toBeCloseTo(e[0]!, 9);
    expect(item(H[0][1])).toBeCloseTo(e[1]!, 9);
    expect(item(H[1][0])).toBeCloseTo(e[2]!, 9);
    expect(item(H[1][1])).toBeCloseTo(e[3]!, 9);
  });

  it('Rosenbrock at its minimum (1, 1): zero gradient, Hessian [[802, -400], [-400, 200]]', () => {
    const x = tensor([1, 1]);
    expectTensor(grad(rosen)(x), [2], [0, 0], 0);
    expectTensor(hessian(rosen)(x), [2, 2], [802, -400, -400, 200], 0);
  });

  it.each([
    [[1, 1, 1, 1]],
    [[-1.2, 1, 0.5, -0.3]],
    [[0, 0, 0, 0]],
    [[0.3, 2, -1, 1.7]],
  ])('4-d Rosenbrock at %j: gradient and Hessian match the formulas (grad, hessian, jacrev∘jacrev)', (pt) => {
    const x = tensor(pt);
    expectTensor(grad(rosen)(x), [4], rosenGrad(pt), 1e-12);
    expectTensor(hessian(rosen)(x), [4, 4], rosenHessian(pt), 1e-12);
    expectTensor(jacrev(jacrev(rosen))(x), [4, 4], rosenHessian(pt), 1e-12);
  });

  it('softmax cross-entropy: the gradient of -Σ onehot · logSoftmax(z) is softmax(z) - onehot', () => {
    const zs = [2.0, -1.0, 0.5, 3.0, -0.25];
    const onehot = [0, 0, 1, 0, 0];
    const f = (z: Tensor): Tensor => mul(-1, sum(mul(tensor(onehot), logSoftmax(z))));
    const m = Math.max(...zs);
    const e = zs.map((z) => Math.exp(z - m));
    const s = e.reduce((a, b) => a + b, 0);
    const expected = e.map((v, i) => v / s - onehot[i]!);
    expectTensor(grad(f)(tensor(zs)), [5], expected, 1e-14);
    // and the library's own softmax agrees
    expectTensor(grad(f)(tensor(zs)), [5], flat(sub(softmax(tensor(zs)), tensor(onehot))), 1e-15);
    // the gradient sums to zero (softmax sums to one)
    expect(flat(grad(f)(tensor(zs))).reduce((a, b) => a + b, 0)).toBeCloseTo(0, 14);
  });

  it('softmax cross-entropy over a batch (axis -1, 2-d logits)', () => {
    const zs = [
      [1, 2, 3],
      [0.5, -0.5, 10],
    ];
    const onehot = [
      [1, 0, 0],
      [0, 0, 1],
    ];
    const f = (z: Tensor): Tensor => mul(-1, sum(mul(tensor(onehot), logSoftmax(z))));
    const expected = zs.flatMap((row, r) => {
      const e = row.map((v) => Math.exp(v - Math.max(...row)));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((v, i) => v / s - onehot[r]![i]!);
    });
    expectTensor(grad(f)(tensor(zs)), [2, 3], expected, 1e-14);
  });

  it('a shared input accumulates: d/dx (x·x + sin x) = 2x + cos x', () => {
    const f = (x: Tensor): Tensor => add(mul(x, x), sin(x));
    for (const x of [-1.5, 0, 0.3, 2]) expect(item(grad(f)(scalar(x)))).toBeCloseTo(2 * x + Math.cos(x), 14);
    const xs = [-1.5, 0, 0.3, 2, 7];
    expectTensor(
      grad((x: Tensor) => sum(f(x)))(tensor(xs)),
      [5],
      xs.map((x) => 2 * x + Math.cos(x)),
      1e-14,
    );
    // a 2-d tensor input, the same formula elementwise
    expectTensor(
      grad((x: Tensor) => sum(f(x)))(tensor([[1, 2], [3, 4]])),
      [2, 2],
      [1, 2, 3, 4].map((x) => 2 * x + Math.cos(x)),
      1e-14,
    );
  });

  test.prop([fc.double({ min: -10, max: 10, noNaN: true })], SEED)('d/dx (x·x + sin x) = 2x + cos x, forward and reverse', (x) => {
    const f = (t: Tensor): Tensor => add(mul(t, t), sin(t));
    expect(item(grad(f)(scalar(x)))).toBeCloseTo(2 * x + Math.cos(x), 10);
    expect(item(jvp(f, [scalar(x)], [scalar(1)])[1] as Tensor)).toBeCloseTo(2 * x + Math.cos(x), 10);
  });
});

// ---- perturbation confusion ----------------------------------------------------------------------

type Deriv = (g: Fn1) => Fn1;
const viaGrad: Deriv = (g) => (x) => grad(g)(x);
const viaJvp: Deriv = (g) => (x) => jvp(g, [x], [onesLike(x)])[1] as Tensor;
const derivs: Array<[string, Deriv]> = [
  ['grad', viaGrad],
  ['jvp', viaJvp],
];

describe('perturbation confusion', () => {
  for (const [outerName, outer] of derivs) {
    for (const [innerName, inner] of derivs) {
      it(`${outerName} outside, ${innerName} inside: d/dx [x · d/dy (x + y) at y = 1] at x = 1 is 1`, () => {
        const f: Fn1 = (x) => mul(x, inner((y) => add(x, y))(scalar(1)));
        expect(item(outer(f)(scalar(1)))).toBe(1);
      });
      it(`${outerName} outside, ${innerName} inside: d/dx [x · d/dy (x · y) at y = 2] at x = 1 is 2`, () => {
        const f: Fn1 = (x) => mul(x, inner((y) => mul(x, y))(scalar(2)));
        expect(item(outer(f)(scalar(1)))).toBe(2);
        // x · x has derivative 2x elsewhere too
        expect(item(outer(f)(scalar(3)))).toBe(6);
      });
    }
  }
});

// ---- compositionality ----------------------------------------------------------------------------

const W = tensor([
  [0.3, -0.2, 0.5, 0.1],
  [-0.4, 0.25, 0.15, -0.3],
  [0.2, 0.1, -0.35, 0.45],
]);
/** sum(tanh(W x)) · sum(x·x) + logsumexp(x), R⁴ → R. */
const nontrivial: Fn1 = (x) => add(mul(sum(tanh(matmul(W, x))), sum(mul(x, x))), logsumexp(x));

describe('compositionality', () => {
  const x0 = [0.5, -1.2, 0.8, 0.3];
  const x = tensor(x0);
  const n = x0.length;

  it('the Hessian by every route agrees (1e-10) and matches central differences of the gradient (1e-5)', () => {
    const routes: Array<[string, Tensor]> = [
      ['jacfwd(jacrev(f))', jacfwd(jacrev(nontrivial))(x)],
      ['jacrev(jacfwd(f))', jacrev(jacfwd(nontrivial))(x)],
      ['jacrev(jacrev(f))', jacrev(jacrev(nontrivial))(x)],
      ['jacfwd(jacfwd(f))', jacfwd(jacfwd(nontrivial))(x)],
      ['hessian(f)', hessian(nontrivial)(x)],
      [
        'hvp on each basis vector',
        stack(
          Array.from({ length: n }, (_, j) => {
            const e = new Array<number>(n).fill(0);
            e[j] = 1;
            return hvp(nontrivial, [x], [tensor(e)])[0] as Tensor;
          }),
          1,
        ),
      ],
    ];
    const reference = flat(routes[0]![1]);
    for (const [name, H] of routes) {
      expect([...H.shape], name).toEqual([n, n]);
      flat(H).forEach((v, i) => expect(Math.abs(v - reference[i]!), `${name} element ${i}`).toBeLessThanOrEqual(1e-10));
    }
    // symmetric
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(Math.abs(reference[i * n + j]! - reference[j * n + i]!)).toBeLessThanOrEqual(1e-12);
    // central finite differences of the gradient, column by column
    const g = grad(nontrivial);
    const h = 1e-5;
    for (let j = 0; j < n; j++) {
      const plus = x0.slice();
      const minus = x0.slice();
      plus[j]! += h;
      minus[j]! -= h;
      const gp = flat(g(tensor(plus)));
      const gm = flat(g(tensor(minus)));
      for (let i = 0; i < n; i++) {
        const fd = (gp[i]! - gm[i]!) / (2 * h);
        expect(Math.abs(fd - reference[i * n + j]!), `H[${i}, ${j}]`).toBeLessThanOrEqual(1e-5);
      }
    }
  });

  it('the gradient matches central finite differences of f', () => {
    const g = flat(grad(nontrivial)(x));
    const h = 1e-6;
    for (let j = 0; j < n; j++) {
      const plus = x0.slice();
      const minus = x0.slice();
      plus[j]! += h;
      minus[j]! -= h;
      const fd = (item(nontrivial(tensor(plus))) - item(nontrivial(tensor(minus)))) / (2 * h);
      expect(Math.abs(fd - g[j]!)).toBeLessThanOrEqual(1e-7);
    }
  });

  it('grad(grad(grad(f))) of x sin x is -x cos x - 3 sin x', () => {
    const f: Fn1 = (t) => mul(t, sin(t));
    const f3: Fn1 = grad(grad(grad(f)));
    for (const v of [-2, -0.5, 0, 1, 2.5]) expect(item(f3(scalar(v)))).toBeCloseTo(-v * Math.cos(v) - 3 * Math.sin(v), 12);
    // and the fourth: x sin x '''' = x sin x - 4 cos x
    const f4: Fn1 = grad(f3);
    for (const v of [-2, 0, 1]) expect(item(f4(scalar(v)))).toBeCloseTo(v * Math.sin(v) - 4 * Math.cos(v), 12);
  });

  it('vjp of a jvp: the pullback of x ↦ ∇f(x)·v is H v (Rosenbrock 4-d)', () => {
    const pt = [0.3, 2, -1, 1.7];
    const v = [1, -2, 0.5, 3];
    const dirDeriv: Fn1 = (t) => jvp(rosen, [t], [tensor(v)])[1] as Tensor;
    const [value, pullback] = vjp(dirDeriv, tensor(pt));
    const gr = rosenGrad(pt);
    expect(item(value as Tensor)).toBeCloseTo(gr.reduce((s, gi, i) => s + gi * v[i]!, 0), 10);
    const [hv] = pullback(scalar(1)) as [Tensor];
    const H = rosenHessian(pt);
    expectTensor(hv, [4], [0, 1, 2, 3].map((i) => [0, 1, 2, 3].reduce((s, j) => s + H[i * 4 + j]! * v[j]!, 0)), 1e-12);
  });

  it('vjp of a vector-valued jvp: uᵀ ∂(J v)/∂x for f(x) = sin(x) · x', () => {
    const xs = [0.2, -1, 2];
    const v = [1, 2, -1];
    const u = [3, -1, 0.5];
    // (J v)_i = (cos x_i · x_i + sin x_i) v_i; its derivative in x_i: (2 cos x_i - x_i sin x_i) v_i
    const jv: Fn1 = (t) => jvp((s: Tensor) => mul(sin(s), s), [t], [tensor(v)])[1] as Tensor;
    const [, pullback] = vjp(jv, tensor(xs));
    const [ct] = pullback(tensor(u)) as [Tensor];
    expectTensor(ct, [3], xs.map((xi, i) => u[i]! * v[i]! * (2 * Math.cos(xi) - xi * Math.sin(xi))), 1e-12);
  });

  it('grad of a Hessian entry: ∇ H[0,0] and ∇ H[1,2] of 4-d Rosenbrock', () => {
    const pt = [0.3, 2, -1, 1.7];
    const h00: Fn1 = (t) => at(at(hessian(rosen)(t) as Tensor, 0), 0); // 1200 x0² - 400 x1 + 2
    expectTensor(grad(h00)(tensor(pt)), [4], [2400 * pt[0]!, -400, 0, 0], 1e-12);
    const h11: Fn1 = (t) => sum(slice(hessian(rosen)(t) as Tensor, [1, 1], [2, 2])); // 200 + 1200 x1² - 400 x2 + 2
    expectTensor(grad(h11)(tensor(pt)), [4], [0, 2400 * pt[1]!, -400, 0], 1e-12);
    const h12: Fn1 = (t) => at(at(hessian(rosen)(t) as Tensor, 1), 2); // -400 x1
    expectTensor(grad(h12)(tensor(pt)), [4], [0, -400, 0, 0], 1e-12);
  });

  test.prop([fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 4, maxLength: 4 })], SEED)(
    'hessian(f) equals jacrev(jacfwd(f)) and is symmetric at random points',
    (pt) => {
      const t = tensor(pt);
      const a = flat(hessian(nontrivial)(t));
      const b = flat(jacrev(jacfwd(nontrivial))(t));
      a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThanOrEqual(1e-10 * Math.max(1, Math.abs(v))));
      for (let i = 0; i < 4; i++) for (let j = 0; j < i; j++) expect(Math.abs(a[i * 4 + j]! - a[j * 4 + i]!)).toBeLessThanOrEqual(1e-10 * Math.max(1, Math.abs(a[i * 4 + j]!)));
    },
  );

  test.prop(
    [
      fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 4, maxLength: 4 }),
      fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 4, maxLength: 4 }),
      fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 4, maxLength: 4 }),
      fc.double({ min: -3, max: 3, noNaN: true }),
    ],
    SEED,
  )('jvp is linear in the tangent: J(a u + v) = a J u + J v', (pt, u, v, a) => {
    const f = (t: Tensor): Tensor => mul(tanh(matmul(W, t)), sum(t));
    const J = (d: ReadonlyArray<number>): number[] => flat(jvp(f, [tensor(pt)], [tensor(d)])[1] as Tensor);
    const lhs = J(u.map((ui, i) => a * ui + v[i]!));
    const ju = J(u);
    const jv = J(v);
    lhs.forEach((l, i) => expect(Math.abs(l - (a * ju[i]! + jv[i]!))).toBeLessThanOrEqual(1e-10 * Math.max(1, Math.abs(l))));
  });
});

// ---- Jacobians -----------------------------------------------------------------------------------

describe('Jacobians', () => {
  /** R³ → R²: [x0 x1, sin x2 + x0]. */
  const f32: Fn1 = (x) => stack([mul(at(x, 0), at(x, 1)), add(sin(at(x, 2)), at(x, 0))]);
  const jac = (x: ReadonlyArray<number>): number[] => [x[1]!, x[0]!, 0, 1, 0, Math.cos(x[2]!)];

  it('R³ → R²: jacrev and jacfwd agree, have shape [m, n] = [2, 3] and match the formula', () => {
    const pt = [0.5, -2, 1.3];
    expectTensor(jacrev(f32)(tensor(pt)), [2, 3], jac(pt), 1e-15);
    expectTensor(jacfwd(f32)(tensor(pt)), [2, 3], jac(pt), 1e-15);
  });

  test.prop([fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 3, maxLength: 3 })], SEED)(
    'R³ → R²: jacrev equals jacfwd at random points',
    (pt) => {
      // + 0 folds -0 into 0: the modes may round a zero entry to different signs
      const a = flat(jacrev(f32)(tensor(pt))).map((v) => v + 0);
      const b = flat(jacfwd(f32)(tensor(pt))).map((v) => v + 0);
      expect(a).toEqual(b);
      a.forEach((v, i) => expect(v).toBeCloseTo(jac(pt)[i]!, 12));
    },
  );

  it('R² → R⁵ (m > n): shape [5, 2]', () => {
    const g: Fn1 = (x) => concat([x, mul(x, x), reshape(mul(at(x, 0), at(x, 1)), [1])]);
    const pt = [3, -2];
    const expected = [1, 0, 0, 1, 6, 0, 0, -4, -2, 3];
    expectTensor(jacrev(g)(tensor(pt)), [5, 2], expected, 0);
    expectTensor(jacfwd(g)(tensor(pt)), [5, 2], expected, 0);
  });

  it('a matrix input gives shape [...O, ...I]: row sums of squares [2, 3] → [2] has Jacobian [2, 2, 3]', () => {
    const X = [
      [1, 2, 3],
      [4, 5, 6],
    ];
    const g: Fn1 = (x) => sum(square(x), { axis: 1 });
    // J[i, k, l] = 2 X[k, l] δ_ik
    const expected: number[] = [];
    for (let i = 0; i < 2; i++) for (let k = 0; k < 2; k++) for (let l = 0; l < 3; l++) expected.push(i === k ? 2 * X[k]![l]! : 0);
    expectTensor(jacrev(g)(tensor(X)), [2, 2, 3], expected, 0);
    expectTensor(jacfwd(g)(tensor(X)), [2, 2, 3], expected, 0);
  });

  it('a matrix to matrix map: X [2, 3] ↦ X B [2, 2] has Jacobian [2, 2, 2, 3] with J[i,j,k,l] = δ_ik B[l, j]', () => {
    const B = [
      [1, 2],
      [3, 4],
      [5, 6],
    ];
    const g: Fn1 = (x) => matmul(x, tensor(B));
    const expected: number[] = [];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) for (let k = 0; k < 2; k++) for (let l = 0; l < 3; l++) expected.push(i === k ? B[l]![j]! : 0);
    const X = tensor([
      [0.1, 0.2, 0.3],
      [0.4, 0.5, 0.6],
    ]);
    expectTensor(jacrev(g)(X), [2, 2, 2, 3], expected, 0);
    expectTensor(jacfwd(g)(X), [2, 2, 2, 3], expected, 0);
  });

  it('a scalar output: jacrev gives the gradient\'s shape, a scalar input and output gives shape []', () => {
    expectTensor(jacrev(rosen)(tensor([1, 2])), [2], rosenGrad([1, 2]), 1e-14);
    expectTensor(jacfwd(rosen)(tensor([1, 2])), [2], rosenGrad([1, 2]), 1e-14);
    expectTensor(jacrev(sin)(scalar(0.5)), [], [Math.cos(0.5)], 1e-15);
    expectTensor(jacfwd(sin)(scalar(0.5)), [], [Math.cos(0.5)], 1e-15);
  });

  it('argnums array: a tuple of Jacobians, one per selected argument, each [...O, ...I]', () => {
    const g = (x: Tensor, y: Tensor): Tensor => mul(sum(x), y); // x [3], y [2] → [2]
    const x = tensor([1, 2, 3]);
    const y = tensor([10, 20]);
    for (const jac of [jacrev, jacfwd]) {
      const r = jac(g, { argnums: [0, 1] })(x, y) as [Tensor, Tensor];
      expect(Array.isArray(r)).toBe(true);
      expect(r).toHaveLength(2);
      expectTensor(r[0], [2, 3], [10, 10, 10, 20, 20, 20], 0);
      expectTensor(r[1], [2, 2], [6, 0, 0, 6], 0);
      expect(Object.isFrozen(r)).toBe(true);
      // a single argnum: a bare Jacobian, not a tuple
      expectTensor(jac(g, { argnums: 1 })(x, y), [2, 2], [6, 0, 0, 6], 0);
    }
  });

  it('object parameters: the Jacobian comes back in the parameters\' structure', () => {
    interface P {
      readonly w: Tensor;
      readonly b: Tensor;
    }
    const layer = (p: P, x: Tensor): Tensor => add(matmul(p.w, x), p.b); // w [2, 3], b [2], x [3] → [2]
    const p: P = { w: tensor([[1, 2, 3], [4, 5, 6]]), b: tensor([0.5, -0.5]) };
    const x = tensor([7, 8, 9]);
    // dout_i / dw_kl = δ_ik x_l
    const dw: number[] = [];
    for (let i = 0; i < 2; i++) for (let k = 0; k < 2; k++) for (let l = 0; l < 3; l++) dw.push(i === k ? [7, 8, 9][l]! : 0);
    for (const jac of [jacrev, jacfwd]) {
      const J = jac(layer)(p, x) as { w: Tensor; b: Tensor };
      expect(Object.keys(J).sort()).toEqual(['b', 'w']);
      expectTensor(J.w, [2, 2, 3], dw, 0);
      expectTensor(J.b, [2, 2], [1, 0, 0, 1], 0);
      expect(Object.isFrozen(J)).toBe(true);
    }
  });

  it('a pytree output: the output structure outside, the input structure inside', () => {
    const g = (x: Tensor, y: Tensor): { s: Tensor; v: Tensor } => ({ s: sum(mul(x, x)), v: mul(x, y) }); // x [2], y scalar
    const x = tensor([1, 2]);
    const y = scalar(3);
    for (const jac of [jacrev, jacfwd]) {
      const J = jac(g, { argnums: [0, 1] })(x, y) as { s: [Tensor, Tensor]; v: [Tensor, Tensor] };
      expect(Object.keys(J).sort()).toEqual(['s', 'v']);
      expectTensor(J.s[0], [2], [2, 4], 0);
      expectTensor(J.s[1], [], [0], 0);
      expectTensor(J.v[0], [2, 2], [3, 0, 0, 3], 0);
      expectTensor(J.v[1], [2], [1, 2], 0);
      expect(Object.isFrozen(J)).toBe(true);
      expect(Object.isFrozen(J.s)).toBe(true);
    }
  });
});

// ---- vjp, jvp, valueAndGrad, aux, argnums, stopGradient -------------------------------------------

describe('vjp and jvp with pytrees', () => {
  interface In {
    readonly a: Tensor;
    readonly b: readonly [Tensor, Tensor];
  }
  const f = (p: In): { total: Tensor; parts: [Tensor, Tensor] } => ({
    total: sum(mul(p.a, p.b[0])), // a [2], b0 [2]
    parts: [mul(p.a, p.b[1]), sin(p.b[1])], // b1 scalar
  });
  const p: In = { a: tensor([1, 2]), b: [tensor([3, 4]), scalar(0.5)] };

  it('vjp: output in the function\'s structure, pullback of a matching cotangent in the inputs\' structure', () => {
    const [out, pullback] = vjp(f, p);
    expect(item(out.total)).toBe(11);
    expectTensor(out.parts[0], [2], [0.5, 1], 0);
    expectTensor(out.parts[1], [], [Math.sin(0.5)], 0);
    const ct = { total: scalar(2), parts: [tensor([1, -1]), scalar(10)] };
    const [dp] = pullback(ct) as [{ a: Tensor; b: [Tensor, Tensor] }];
    // da = 2 b0 + [1, -1] b1 ; db0 = 2 a ; db1 = <[1, -1], a> + 10 cos(0.5)
    expectTensor(dp.a, [2], [6.5, 7.5], 1e-15);
    expectTensor(dp.b[0], [2], [2, 4], 0);
    expectTensor(dp.b[1], [], [-1 + 10 * Math.cos(0.5)], 1e-15);
    expect(Object.isFrozen(out)).toBe(true);
    expect(Object.isFrozen(out.parts)).toBe(true);
    expect(Object.isFrozen(dp)).toBe(true);
    expect(Object.isFrozen(dp.b)).toBe(true);
  });

  it('vjp: the pullback can be called many times, each result independent and linear in the cotangent', () => {
    const [, pullback] = vjp((x: Tensor) => mul(x, x), tensor([1, 2, 3]));
    const [a] = pullback(tensor([1, 0, 0])) as [Tensor];
    const [b] = pullback(tensor([0, 1, 1])) as [Tensor];
    const [c] = pullback(tensor([2, 3, 3])) as [Tensor];
    expectTensor(a, [3], [2, 0, 0], 0);
    expectTensor(b, [3], [0, 4, 6], 0);
    expectTensor(c, [3], [4, 12, 18], 0);
  });

  it('vjp with several primals returns one cotangent per primal; numbers are accepted as cotangents of scalars', () => {
    const [y, pullback] = vjp((x: Tensor, z: Tensor) => mul(x, z), scalar(3), scalar(4));
    expect(item(y)).toBe(12);
    const r = pullback(2);
    expect(r).toHaveLength(2);
    expect(item(r[0])).toBe(8);
    expect(item(r[1])).toBe(6);
  });

  it('jvp: pytree primals and tangents; the tangent comes back in the output structure', () => {
    const tangent: In = { a: tensor([1, 0]), b: [tensor([0, 1]), scalar(2)] };
    const [out, dout] = jvp(f, [p], [tangent]);
    expect(item(out.total)).toBe(11);
    // d total = <da, b0> + <a, db0> = 3 + 2 = 5
    expect(item(dout.total)).toBe(5);
    // d (a b1) = da b1 + a db1 = [0.5, 0] + [2, 4]
    expectTensor(dout.parts[0], [2], [2.5, 4], 0);
    expectTensor(dout.parts[1], [], [2 * Math.cos(0.5)], 1e-15);
    expect(Object.isFrozen(dout)).toBe(true);
    expect(Object.isFrozen(dout.parts)).toBe(true);
  });

  it('jvp with several primals', () => {
    const [y, dy] = jvp((x: Tensor, z: Tensor) => mul(x, z), [scalar(3), scalar(4)], [scalar(1), scalar(10)]);
    expect(item(y)).toBe(12);
    expect(item(dy)).toBe(34);
  });
});

describe('valueAndGrad, hasAux, argnums', () => {
  it('valueAndGrad returns the value and the gradient', () => {
    const [v, g] = valueAndGrad(rosen)(tensor([0.5, 2]));
    expect(item(v)).toBeCloseTo(100 * (2 - 0.25) ** 2 + 0.25, 12);
    expectTensor(g, [2], rosenGrad([0.5, 2]), 1e-13);
  });

  it('hasAux: the aux value passes through as concrete values (grad gives [g, aux], valueAndGrad [[v, aux], g])', () => {
    const f = (x: Tensor): [Tensor, { sq: Tensor; label: number }] => {
      const s = square(x);
      return [sum(s), { sq: s, label: 7 }];
    };
    const x = tensor([1, -2]);
    const [g, aux] = grad(f, { hasAux: true })(x) as [Tensor, { sq: Tensor; label: number }];
    expectTensor(g, [2], [2, -4], 0);
    expect(toArray(aux.sq)).toEqual([1, 4]);
    expect(aux.label).toBe(7);
    const [[v, aux2], g2] = valueAndGrad(f, { hasAux: true })(x);
    expect(item(v)).toBe(5);
    expect(toArray(aux2.sq)).toEqual([1, 4]);
    expectTensor(g2, [2], [2, -4], 0);
  });

  it('hasAux with a function that does not return a pair is an INVALID_ARGUMENT', () => {
    expectAdjointError(() => grad((x: Tensor) => x, { hasAux: true })(scalar(1)), 'INVALID_ARGUMENT', ['grad', /pair/], ArgumentError);
  });

  it('argnums: a number selects one argument, an array gives a tuple in that order', () => {
    const f = (x: Tensor, y: Tensor, z: Tensor): Tensor => mul(mul(x, square(y)), exp(z));
    const args = [scalar(2), scalar(3), scalar(0)] as const;
    expect(item(grad(f)(...args))).toBe(9);
    expect(item(grad(f, { argnums: 1 })(...args))).toBe(12);
    const [gz, gx] = grad(f, { argnums: [2, 0] })(...args) as [Tensor, Tensor];
    expect(item(gz)).toBe(18);
    expect(item(gx)).toBe(9);
    const [v, [gy]] = valueAndGrad(f, { argnums: [1] })(...args) as [Tensor, [Tensor]];
    expect(item(v)).toBe(18);
    expect(item(gy)).toBe(12);
  });

  it('numbers as inputs: gradients of number leaves are 0-d tensors', () => {
    const g = grad((p: { a: number; b: number }) => mul(p.a, p.b))({ a: 2, b: 5 }) as { a: Tensor; b: Tensor };
    expectTensor(g.a, [], [5], 0);
    expectTensor(g.b, [], [2], 0);
  });
});

describe('stopGradient', () => {
  it('blocks the derivative in reverse and forward mode', () => {
    const f: Fn1 = (x) => mul(x, stopGradient(x));
    expect(item(grad(f)(scalar(3)))).toBe(3);
    expect(item(jvp(f, [scalar(3)], [scalar(1)])[1] as Tensor)).toBe(3);
    expect(item(grad((x: Tensor) => stopGradient(square(x)))(scalar(3)))).toBe(0);
  });

  it('returns the value unchanged, outside a transform too, and works on pytrees', () => {
    expect(toArray(stopGradient(tensor([1, 2])))).toEqual([1, 2]);
    const f = (p: { a: Tensor; b: Tensor }): Tensor => {
      const q = stopGradient(p);
      return add(mul(p.a, q.b), mul(q.a, p.b));
    };
    const g = grad(f)({ a: scalar(2), b: scalar(5) }) as { a: Tensor; b: Tensor };
    expect(item(g.a)).toBe(5);
    expect(item(g.b)).toBe(2);
  });

  it('blocks every level of nested transforms', () => {
    const f: Fn1 = (x) => mul(square(x), stopGradient(x)); // f' = 2x·x0, f'' = 2·x0 seen by the outer level as 2 sg(x)
    expect(item(grad(f)(scalar(3)))).toBe(18);
    expect(item(grad(grad(f))(scalar(3)))).toBe(6);
  });
});

// ---- zero gradients, frozen results, untouched inputs --------------------------------------------

describe('unused inputs and symbolic zeros', () => {
  it('an input the output ignores gets a real zero tensor of its shape', () => {
    const f = (x: Tensor, y: Tensor): Tensor => sum(sin(x));
    const [gx, gy] = grad(f, { argnums: [0, 1] })(tensor([0, 1]), tensor([[1, 2, 3], [4, 5, 6]])) as [Tensor, Tensor];
    expectTensor(gx, [2], [1, Math.cos(1)], 1e-15);
    expectTensor(gy, [2, 3], [0, 0, 0, 0, 0, 0], 0);
  });

  it('an unused leaf of an object input gets zeros of its shape', () => {
    const g = grad((p: { used: Tensor; unused: Tensor }) => sum(p.used))({ used: tensor([1, 2]), unused: zeros([3, 1]) }) as { used: Tensor; unused: Tensor };
    expectTensor(g.used, [2], [1, 1], 0);
    expectTensor(g.unused, [3, 1], [0, 0, 0], 0);
  });

  it('a constant output: zero gradients, zero tangents, zero Jacobians', () => {
    expectTensor(grad((_x: Tensor) => scalar(4))(tensor([1, 2])), [2], [0, 0], 0);
    expectTensor(grad((_x: Tensor) => 4)(scalar(1)), [], [0], 0);
    const [y, dy] = jvp((_x: Tensor) => tensor([1, 2, 3]), [scalar(1)], [scalar(1)]);
    expectTensor(y, [3], [1, 2, 3], 0);
    expectTensor(dy, [3], [0, 0, 0], 0);
    expectTensor(jacrev((_x: Tensor) => tensor([1, 2, 3]))(tensor([1, 2])), [3, 2], [0, 0, 0, 0, 0, 0], 0);
    expectTensor(jacfwd((_x: Tensor) => tensor([1, 2, 3]))(tensor([1, 2])), [3, 2], [0, 0, 0, 0, 0, 0], 0);
  });

  it('an output that depends on one input only through a comparison has zero gradient', () => {
    expectTensor(grad((x: Tensor) => sum(greater(x, 0)))(tensor([-1, 2])), [2], [0, 0], 0);
  });

  it('second derivative of a linear function is zero (not undefined or NaN)', () => {
    expectTensor(grad(grad((x: Tensor) => mul(3, x)))(scalar(2)), [], [0], 0);
    expectTensor(hessian((x: Tensor) => sum(mul(3, x)))(tensor([1, 2])), [2, 2], [0, 0, 0, 0], 0);
  });
});

describe('immutability', () => {
  it('results are frozen: tuples, objects and nested arrays', () => {
    const f = (p: { a: Tensor; b: [Tensor, Tensor] }, y: Tensor): Tensor => mul(sum(mul(p.a, p.b[0])), mul(p.b[1], y));
    const p = { a: tensor([1, 2]), b: [tensor([3, 4]), scalar(2)] as [Tensor, Tensor] };
    const y = scalar(3);
    const g = grad(f)(p, y);
    expect(Object.isFrozen(g)).toBe(true);
    expect(Object.isFrozen(g.b)).toBe(true);
    const tuple: readonly unknown[] = grad(f, { argnums: [0, 1] })(p, y);
    expect(Object.isFrozen(tuple)).toBe(true);
    expect(Object.isFrozen(tuple[0])).toBe(true);
    const vg = valueAndGrad(f)(p, y);
    expect(Object.isFrozen(vg)).toBe(true);
    const v = vjp(f, p, y);
    expect(Object.isFrozen(v)).toBe(true);
    expect(Object.isFrozen(v[1](1))).toBe(true);
    const j = jvp(f, [p, y], [p, y]);
    expect(Object.isFrozen(j)).toBe(true);
    expect(Object.isFrozen(hvp(f, [p, y], [p, y]))).toBe(true);
    const withAux = grad((x: Tensor) => [sum(x), { k: x }], { hasAux: true })(tensor([1]));
    expect(Object.isFrozen(withAux)).toBe(true);
    // the values are right too
    expectTensor(g.a, [2], [18, 24], 0);
    expectTensor(g.b[0], [2], [6, 12], 0);
    expectTensor(g.b[1], [], [33], 0);
  });

  it('inputs are not mutated or frozen by a transform', () => {
    const p = { a: tensor([1, 2]), list: [scalar(3), 4] as [Tensor, number] };
    const before = { a: flat(p.a), list0: item(p.list[0]), list1: p.list[1] };
    const f = (q: typeof p): Tensor => mul(sum(q.a), mul(q.list[0], q.list[1]));
    grad(f)(p);
    valueAndGrad(f)(p);
    vjp(f, p)[1](1);
    jvp(f, [p], [p]);
    jacrev(f)(p);
    jacfwd(f)(p);
    hessian(f)(p);
    expect(Object.isFrozen(p)).toBe(false);
    expect(Object.isFrozen(p.list)).toBe(false);
    expect(Object.keys(p)).toEqual(['a', 'list']);
    expect(flat(p.a)).toEqual(before.a);
    expect(item(p.list[0])).toBe(before.list0);
    expect(p.list[1]).toBe(before.list1);
    expect(p.list).toHaveLength(2);
  });
});

// ---- NaN-safe where ------------------------------------------------------------------------------

describe('where does not leak NaN from the unselected branch', () => {
  const safeSqrt: Fn1 = (x) => where(greater(x, 0), sqrt(x), 0);
  const safeLog: Fn1 = (x) => where(greater(x, 0), log(x), 0);

  it('grad of where(x > 0, sqrt x, 0) at -1 is exactly 0; at 0 too; at 4 it is 1/4', () => {
    expect(item(grad(safeSqrt)(scalar(-1)))).toBe(0);
    expect(item(grad(safeSqrt)(scalar(0)))).toBe(0);
    expect(item(grad(safeSqrt)(scalar(4)))).toBe(0.25);
    expect(item(jvp(safeSqrt, [scalar(-1)], [scalar(1)])[1] as Tensor)).toBe(0);
  });

  it('elementwise for tensors through sum(where(...))', () => {
    const xs = tensor([-1, 0, 4, -9, 0.25]);
    expectTensor(grad((x: Tensor) => sum(safeSqrt(x)))(xs), [5], [0, 0, 0.25, 0, 1], 0);
    expectTensor(jvp(safeSqrt, [xs], [onesLike(xs)])[1], [5], [0, 0, 0.25, 0, 1], 0);
  });

  it('the log case: grad of where(x > 0, log x, 0) at 0 and at -2 is 0; at 2 it is 1/2', () => {
    expect(item(grad(safeLog)(scalar(0)))).toBe(0);
    expect(item(grad(safeLog)(scalar(-2)))).toBe(0);
    expect(item(grad(safeLog)(scalar(2)))).toBe(0.5);
    expectTensor(grad((x: Tensor) => sum(safeLog(x)))(tensor([0, -2, 2])), [3], [0, 0, 0.5], 0);
  });

  it('second derivatives stay NaN-free too', () => {
    expect(item(grad(grad(safeSqrt))(scalar(-1)))).toBe(0);
    expect(item(grad(grad(safeLog))(scalar(0)))).toBe(0);
    expect(item(grad(grad(safeLog))(scalar(2)))).toBe(-0.25);
    expectTensor(hessian((x: Tensor) => sum(safeLog(x)))(tensor([0, 2])), [2, 2], [0, 0, 0, -0.25], 0);
  });
});

// ---- conventions at kinks ------------------------------------------------------------------------

describe('derivatives at kinks', () => {
  const d = (f: Fn1, x: number): number => item(grad(f)(scalar(x)));
  const dFwd = (f: Fn1, x: number): number => item(jvp(f, [scalar(x)], [scalar(1)])[1] as Tensor);

  it("relu'(0) = 1/2 (relu is maximum(x, 0): a tie splits evenly), relu'(-1) = 0, relu'(2) = 1", () => {
    for (const dd of [d, dFwd]) {
      expect(dd(relu, 0)).toBe(0.5);
      expect(dd((x) => maximum(x, 0), 0)).toBe(0.5);
      // the identity relu(x) - relu(-x) = x differentiates exactly at its smooth point 0
      expect(dd((x) => sub(relu(x), relu(neg(x))), 0)).toBe(1);
      expect(dd(relu, -1)).toBe(0);
      expect(dd(relu, 2)).toBe(1);
    }
  });

  it("abs'(0) = 0, abs'(-3) = -1, abs'(3) = 1", () => {
    for (const dd of [d, dFwd]) {
      expect(dd(abs, 0)).toBe(0);
      expect(dd(abs, -3)).toBe(-1);
      expect(dd(abs, 3)).toBe(1);
    }
  });

  it("sign' = 0 everywhere (including 0)", () => {
    for (const dd of [d, dFwd]) for (const x of [-2, 0, 5]) expect(dd(sign, x)).toBe(0);
  });

  it("sqrt'(0) = +Infinity", () => {
    expect(d(sqrt, 0)).toBe(Infinity);
    expect(dFwd(sqrt, 0)).toBe(Infinity);
  });

  it('max and min reductions split ties evenly', () => {
    expectTensor(grad((x: Tensor) => max(x))(tensor([1, 3, 3])), [3], [0, 0.5, 0.5], 0);
    expectTensor(grad((x: Tensor) => min(x))(tensor([2, 2, 5, 2])), [4], [1 / 3, 1 / 3, 0, 1 / 3], 1e-15);
    expectTensor(grad((x: Tensor) => max(x))(tensor([1, 4, 3])), [3], [0, 1, 0], 0);
    // forward mode agrees
    expect(item(jvp((x: Tensor) => max(x), [tensor([1, 3, 3])], [tensor([10, 20, 40])])[1] as Tensor)).toBe(30);
    // along an axis
    expectTensor(grad((x: Tensor) => sum(max(x, { axis: 1 })))(tensor([[1, 1], [0, 2]])), [2, 2], [0.5, 0.5, 0, 1], 0);
  });

  it('maximum and minimum split ties evenly between their operands', () => {
    const both = (f: (a: Tensor, b: Tensor) => Tensor, a: number, b: number): [number, number] => {
      const [ga, gb] = grad(f, { argnums: [0, 1] })(scalar(a), scalar(b)) as [Tensor, Tensor];
      return [item(ga), item(gb)];
    };
    expect(both(maximum, 2, 2)).toEqual([0.5, 0.5]);
    expect(both(minimum, 2, 2)).toEqual([0.5, 0.5]);
    expect(both(maximum, 3, 2)).toEqual([1, 0]);
    expect(both(minimum, 3, 2)).toEqual([0, 1]);
    // maximum(x, x) = x: the two halves add up to 1
    expect(d((x) => maximum(x, x), 2)).toBe(1);
    expect(d((x) => minimum(x, x), 2)).toBe(1);
    expect(dFwd((x) => maximum(x, x), 2)).toBe(1);
    // a tie with a constant: half
    expect(d((x) => maximum(x, 2), 2)).toBe(0.5);
    expect(dFwd((x) => minimum(x, 2), 2)).toBe(0.5);
  });
});

// ---- bad input -----------------------------------------------------------------------------------

describe('errors', () => {
  it('grad of a non-scalar output: NON_SCALAR_OUTPUT naming the transform and suggesting vjp/jacrev', () => {
    const err = expectAdjointError(() => grad((x: Tensor) => mul(x, 2))(tensor([1, 2])), 'NON_SCALAR_OUTPUT', ['grad', 'vjp', 'jacrev', '[2]']);
    expect(err.op).toBe('grad');
    expectAdjointError(() => valueAndGrad((x: Tensor) => mul(x, 2))(tensor([1, 2])), 'NON_SCALAR_OUTPUT', ['valueAndGrad']);
    expectAdjointError(() => grad((x: Tensor) => [x, x])(scalar(1)), 'NON_SCALAR_OUTPUT', ['grad', /2 leaves/]);
  });

  it('argnums out of range: ARGNUMS_OUT_OF_RANGE for too large, negative, in an array; INVALID_ARGUMENT for a non-integer', () => {
    const f = (x: Tensor, y: Tensor): Tensor => mul(x, y);
    const args = [scalar(1), scalar(2)] as const;
    expectAdjointError(() => grad(f, { argnums: 2 })(...args), 'ARGNUMS_OUT_OF_RANGE', ['grad', '2 argument', /0\.\.1/], ArgumentError);
    expectAdjointError(() => grad(f, { argnums: -1 })(...args), 'ARGNUMS_OUT_OF_RANGE', ['grad'], ArgumentError);
    expectAdjointError(() => grad(f, { argnums: 0.5 })(...args), 'INVALID_ARGUMENT', ['grad', 'argnums', 'integer'], ArgumentError);
    expectAdjointError(() => valueAndGrad(f, { argnums: [0, 5] })(...args), 'ARGNUMS_OUT_OF_RANGE', ['valueAndGrad'], ArgumentError);
    expectAdjointError(() => jacrev(f, { argnums: 3 })(...args), 'ARGNUMS_OUT_OF_RANGE', ['jacrev'], ArgumentError);
    expectAdjointError(() => jacfwd(f, { argnums: 3 })(...args), 'ARGNUMS_OUT_OF_RANGE', ['jacfwd'], ArgumentError);
  });

  it('vjp pullback: a cotangent of the wrong structure or shape is TREE_MISMATCH', () => {
    const [, pullback] = vjp((x: Tensor) => ({ a: mul(x, 2), b: sum(x) }), tensor([1, 2]));
    expectAdjointError(() => pullback(tensor([1, 1]) as never), 'TREE_MISMATCH', ['vjp', /structure/], ShapeError);
    expectAdjointError(() => pullback({ a: tensor([1, 1]) } as never), 'TREE_MISMATCH', ['vjp', /structure/], ShapeError);
    expectAdjointError(() => pullback({ a: tensor([1, 1]), c: 1 } as never), 'TREE_MISMATCH', ['vjp'], ShapeError);
    expectAdjointError(() => pullback({ a: tensor([1, 1, 1]), b: 1 }), 'TREE_MISMATCH', ['vjp', '[3]', '[2]'], ShapeError);
    expectAdjointError(() => pullback({ a: tensor([1, 1]), b: tensor([1]) }), 'TREE_MISMATCH', ['vjp', '[1]', '[]'], ShapeError);
    // the right one works
    const [dx] = pullback({ a: tensor([1, 1]), b: 1 }) as [Tensor];
    expectTensor(dx, [2], [3, 3], 0);
  });

  it('jvp: tangents of the wrong structure or shape are TREE_MISMATCH', () => {
    const f = (p: { w: Tensor }, x: Tensor): Tensor => mul(p.w, x);
    const primals = [{ w: tensor([1, 2]) }, scalar(3)] as [{ w: Tensor }, Tensor];
    expectAdjointError(() => jvp(f, primals, [{ w: tensor([1, 2, 3]) }, scalar(1)]), 'TREE_MISMATCH', ['jvp', '[3]', '[2]'], ShapeError);
    expectAdjointError(() => jvp(f, primals, [{ v: tensor([1, 2]) }, scalar(1)]), 'TREE_MISMATCH', ['jvp', /structure/], ShapeError);
    expectAdjointError(() => jvp(f, primals, [{ w: tensor([1, 2]) }] as unknown as [unknown, unknown]), 'TREE_MISMATCH', ['jvp'], ShapeError);
    expectAdjointError(() => jvp(sin, scalar(1) as unknown as [Tensor], [scalar(1)]), 'INVALID_ARGUMENT', ['jvp'], ArgumentError);
  });

  it('a leaked tracer used in an op: LEAKED_TRACER naming the transform', () => {
    let leaked: Tensor | undefined;
    grad((x: Tensor) => {
      leaked = x;
      return sin(x);
    })(scalar(1));
    expectAdjointError(() => add(leaked!, 1), 'LEAKED_TRACER', [/^grad: /, 'grad', 'returned']);
    let leakedFwd: Tensor | undefined;
    jvp(
      (x: Tensor) => {
        leakedFwd = mul(x, 2);
        return x;
      },
      [scalar(1)],
      [scalar(1)],
    );
    expectAdjointError(() => mul(leakedFwd!, leakedFwd!), 'LEAKED_TRACER', [/^jvp: /]);
    // a leaked tracer inside a later transform is still a leak, not a constant
    expectAdjointError(() => grad((x: Tensor) => mul(x, leaked!))(scalar(2)), 'LEAKED_TRACER', [/^grad: /]);
  });

  it('a leaked tracer read with toArray or item: LEAKED_TRACER naming the transform', () => {
    let leaked: Tensor | undefined;
    jacrev((x: Tensor) => {
      leaked = x;
      return x;
    })(tensor([1, 2]));
    expectAdjointError(() => toArray(leaked!), 'LEAKED_TRACER', [/^jacrev: /]);
    expectAdjointError(() => item(sum as unknown as Tensor), 'INVALID_ARGUMENT', ['item']);
    let leakedScalar: Tensor | undefined;
    valueAndGrad((x: Tensor) => {
      leakedScalar = square(x);
      return leakedScalar;
    })(scalar(2));
    expectAdjointError(() => item(leakedScalar!), 'LEAKED_TRACER', [/^valueAndGrad: /]);
  });

  it('reading numbers from a tracer inside a transform: CONCRETIZATION naming the transform', () => {
    expectAdjointError(
      () =>
        grad((x: Tensor) => {
          if (item(x) > 0) return x;
          return neg1(x);
        })(scalar(1)),
      'CONCRETIZATION',
      ['grad', 'observe', 'stopGradient'],
    );
    expectAdjointError(
      () =>
        grad((x: Tensor) => {
          toArray(x);
          return sum(x);
        })(tensor([1, 2])),
      'CONCRETIZATION',
      ['grad', '[2]'],
    );
    expectAdjointError(
      () =>
        jvp(
          (x: Tensor) => {
            toTypedArray(x);
            return x;
          },
          [scalar(1)],
          [scalar(1)],
        ),
      'CONCRETIZATION',
      ['jvp'],
    );
    // `op` is the transform's name, the same at every depth and however many transforms ran before
    for (let i = 0; i < 3; i++) vmap((x: Tensor) => mul(x, 2))(tensor([1, 2]));
    const inVmap = expectTyped(() => vmap((x: Tensor) => tensor(item(x)))(tensor([1, 2])), 'CONCRETIZATION', 'vmap');
    expect(inVmap.message).not.toMatch(/level/);
    expectTyped(() => vmap(vmap((x: Tensor) => tensor(item(x))))(tensor([[1, 2]])), 'CONCRETIZATION', 'vmap');
    // stopGradient gives a concrete value that can be read
    expect(
      item(
        grad((x: Tensor) => {
          const c = item(stopGradient(x));
          return mul(x, c);
        })(scalar(3)),
      ),
    ).toBe(3);
  });

  it('a non-numeric leaf: NOT_NUMERIC naming the transform and the path', () => {
    const f = (p: { w: Tensor }): Tensor => sum(p.w);
    const loose = grad(f) as (p: unknown) => unknown;
    expectAdjointError(() => loose({ w: 'a' }), 'NOT_NUMERIC', ['grad', '.w', 'string'], ArgumentError);
    expectAdjointError(() => loose({ w: [tensor([1]), null] }), 'NOT_NUMERIC', ['grad', '.w[1]', 'null'], ArgumentError);
    expectAdjointError(() => (jvp as (f: unknown, p: unknown, t: unknown) => unknown)(f, [{ w: true }], [{ w: 1 }]), 'NOT_NUMERIC', ['jvp', '.w'], ArgumentError);
    // a non-numeric output
    expectAdjointError(() => grad((_x: Tensor) => 'loss' as unknown as Tensor)(scalar(1)), 'NOT_NUMERIC', ['grad'], ArgumentError);
  });

  it('a function that throws leaves no trace active: later calls work normally', () => {
    expect(() =>
      grad((_x: Tensor) => {
        throw new Error('boom');
      })(scalar(1)),
    ).toThrow('boom');
    expect(item(add(scalar(1), 2))).toBe(3);
    expect(item(grad(square)(scalar(3)))).toBe(6);
    expect(() => grad(grad((_x: Tensor) => { throw new Error('deep'); }))(scalar(1))).toThrow('deep');
    expect(toArray(mul(tensor([1, 2]), 3))).toEqual([3, 6]);
    expect(item(grad(grad(sin))(scalar(1)))).toBe(-Math.sin(1));
  });
});

/** A function written to look like ordinary code branching on a traced value. */
function neg1(x: Tensor): Tensor {
  return mul(x, -1);
}
