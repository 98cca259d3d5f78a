/**
 * Custom rules (issue 10): `customJvp` and `customVjp` in every mode and at second order, the
 * transposition that gives each its other mode, the linearity check, closures refused, wrong
 * rules caught by checkGrads; and implicit differentiation (`customLinearSolve`, `customRoot`).
 */
import { describe, expect, it } from 'vitest';
import {
  AdjointError,
  add,
  checkGrads,
  checkpoint,
  cos,
  customJvp,
  customLinearSolve,
  customRoot,
  customVjp,
  div,
  exp,
  GradCheckError,
  grad,
  hessian,
  hvp,
  item,
  jacfwd,
  jacrev,
  jvp,
  log1p,
  matmul,
  mul,
  neg,
  pow,
  sigmoid,
  sin,
  solve,
  square,
  stopGradient,
  sub,
  sum,
  type Tensor,
  tensor,
  toArray,
  transpose,
  vjp,
} from '../../src/index.js';
import { thrown } from '../reference.js';


const code = (f: () => unknown): string | undefined => (thrown(f) as AdjointError | undefined)?.code;
const close = (a: unknown, b: unknown, digits = 12): void => {
  const x = [toArray(a as Tensor)].flat(3) as number[];
  const y = [toArray(b as Tensor)].flat(3) as number[];
  expect(x.length).toBe(y.length);
  x.forEach((v, i) => expect(v).toBeCloseTo(y[i]!, digits));
};

// sin with a vjp rule only; and with a jvp rule only
const vjpSin = customVjp(
  (x: Tensor) => sin(x),
  (x: Tensor) => [sin(x), x] as const,
  (x: Tensor, ct: Tensor) => [mul(ct, cos(x))] as [Tensor],
);
const jvpSin = customJvp(
  (x: Tensor) => sin(x),
  ([x]: [Tensor], [t]: [Tensor | undefined]) => [sin(x), mul(cos(x), t!)] as const,
);
const x0 = tensor([0.3, -1.1, 2]);
const scalarSum = (g: (x: Tensor) => Tensor) => (x: Tensor) => sum(g(x));

describe.each([
  ['customVjp', vjpSin],
  ['customJvp', jvpSin],
])('%s agrees with the plain function in every transform', (_name, g) => {
  it('grad, jvp, vjp', () => {
    close(grad(scalarSum(g))(x0), cos(x0), 15);
    close(jvp(g, [x0], [tensor([1, 2, 3])])[1], mul(cos(x0), tensor([1, 2, 3])), 15);
    const [y, pullback] = vjp(g, x0);
    close(y, sin(x0), 15);
    close(pullback(tensor([1, 1, 2]))[0], mul(cos(x0), tensor([1, 1, 2])), 15);
  });
  it('jacfwd, jacrev, hessian, hvp', () => {
    close(jacfwd(g)(x0), jacfwd(sin)(x0), 15);
    close(jacrev(g)(x0), jacrev(sin)(x0), 15);
    close(hessian(scalarSum(g))(x0), hessian(scalarSum(sin))(x0), 14);
    close(hvp(scalarSum(g), [x0], [tensor([1, 0, 1])])[0], mul(neg(sin(x0)), tensor([1, 0, 1])), 14);
  });
  it('grad of grad, and checkGrads at order 2 in both modes', () => {
    close(grad(grad((x: Tensor) => g(x)))(0.7), neg(sin(tensor(0.7))), 14);
    expect(checkGrads(g, [x0], { order: 2 }).checks).toBeGreaterThan(0);
  });
  it('inside checkpoint', () => {
    close(grad(scalarSum(checkpoint(g)))(x0), cos(x0), 15);
  });
});

describe('custom rules give what the plain composition cannot', () => {
  it('a stable softplus: derivative 1 at x = 1000, where log1p(exp(x)) differentiates to NaN', () => {
    const naive = (x: Tensor) => log1p(exp(x));
    const softplus = customJvp(naive, ([x]: [Tensor], [t]: [Tensor | undefined]) => [naive(x), mul(sigmoid(x), t!)] as const);
    expect(item(grad(naive)(1000))).toBeNaN();
    expect(item(grad(softplus)(1000))).toBe(1);
    expect(item(jvp(softplus, [tensor(1000)], [tensor(3)])[1])).toBe(3);
    expect(item(grad(grad(softplus))(0))).toBeCloseTo(0.25, 15);
  });

  it('non-differentiable arguments are passed through and get no cotangent', () => {
    const scale = customVjp(
      (x: Tensor, config: { readonly k: number }) => mul(x, config.k),
      (x: Tensor, config: { readonly k: number }) => [mul(x, config.k), config.k] as const,
      (k: number, ct: Tensor) => [mul(ct, k)] as [Tensor],
      { nondiffArgnums: [1] },
    );
    expect(item(grad((x: Tensor) => scale(x, { k: 3 }))(2))).toBe(3);
    expect(item(jvp((x: Tensor) => scale(x, { k: 3 }), [tensor(2)], [tensor(1)])[1])).toBe(3);
  });

  it('grad of grad through a customVjp whose residual depends on x: the fwd runs again under the outer transform', () => {
    const cube = customVjp(
      (x: Tensor) => mul(square(x), x),
      (x: Tensor) => [mul(square(x), x), square(x)] as const,
      (x2: Tensor, ct: Tensor) => [mul(ct, mul(3, x2))] as [Tensor],
    );
    expect(item(grad(grad(cube))(2))).toBe(12);
    expect(item(grad(grad(grad(cube)))(2))).toBe(6);
  });
});

describe('wrong rules are caught', () => {
  it('a sign flip fails checkGrads', () => {
    const flipped = customVjp(
      (x: Tensor) => sin(x),
      (x: Tensor) => [sin(x), x] as const,
      (x: Tensor, ct: Tensor) => [mul(ct, neg(cos(x)))] as [Tensor],
    );
    expect(thrown(() => checkGrads(flipped, [x0]))).toBeInstanceOf(GradCheckError);
  });

  it('a rule that keeps a residual as a constant (PyTorch issue 76185) passes at order 1 and fails at order 2', () => {
    // the residual x² is frozen with stopGradient: first derivatives are right, second are not
    const cube = customVjp(
      (x: Tensor) => mul(square(x), x),
      (x: Tensor) => [mul(square(x), x), stopGradient(square(x))] as const,
      (x2: Tensor, ct: Tensor) => [mul(ct, mul(3, x2))] as [Tensor],
    );
    expect(checkGrads(cube, [tensor([0.5, 1.5])], { order: 1 }).checks).toBeGreaterThan(0);
    expect(thrown(() => checkGrads(cube, [tensor([0.5, 1.5])], { order: 2 }))).toBeInstanceOf(GradCheckError);
  });

  it('a bwd that is not linear in the cotangent: NONLINEAR_RULE when forward mode transposes it', () => {
    const squareCt = customVjp(
      (x: Tensor) => sin(x),
      (x: Tensor) => [sin(x), x] as const,
      (x: Tensor, ct: Tensor) => [mul(square(ct), cos(x))] as [Tensor],
    );
    expect(code(() => jvp(squareCt, [x0], [tensor([1, 1, 1])]))).toBe('NONLINEAR_RULE');
    const offset = customVjp(
      (x: Tensor) => sin(x),
      (x: Tensor) => [sin(x), x] as const,
      (x: Tensor, ct: Tensor) => [add(mul(ct, cos(x)), 1)] as [Tensor],
    );
    expect(code(() => jacfwd(offset)(x0))).toBe('NONLINEAR_RULE');
  });

  it('a jvp rule that is not linear in the tangent: NONLINEAR_RULE when reverse mode transposes it', () => {
    const bad = customJvp((x: Tensor) => sin(x), ([x]: [Tensor], [t]: [Tensor | undefined]) => [sin(x), mul(cos(x), square(t!))] as const);
    expect(code(() => grad(scalarSum(bad))(x0))).toBe('NONLINEAR_RULE');
  });

  it('bwd returning the wrong number or shapes of cotangents: TREE_MISMATCH naming the rule', () => {
    const tooMany = customVjp((x: Tensor) => sin(x), (x: Tensor) => [sin(x), x] as const, ((_x: Tensor, ct: Tensor) => [ct, ct]) as never);
    const e = thrown(() => grad(scalarSum(tooMany))(x0)) as AdjointError;
    expect(e.code).toBe('TREE_MISMATCH');
    expect(e.message).toMatch(/bwd returned 2 cotangents/);
    const wrongShape = customVjp((x: Tensor) => sin(x), (x: Tensor) => [sin(x), x] as const, ((_x: Tensor, ct: Tensor) => [sum(ct)]) as never);
    expect(code(() => grad(scalarSum(wrongShape))(x0))).toBe('TREE_MISMATCH');
    const badFwd = customVjp((x: Tensor) => sin(x), ((x: Tensor) => [sum(x), x]) as never, (x: Tensor, ct: Tensor) => [mul(ct, cos(x))] as [Tensor]);
    expect(code(() => grad(scalarSum(badFwd))(x0))).toBe('TREE_MISMATCH');
  });

  it('rules may close over nothing traced from an outer transform', () => {
    const closing = (w: Tensor) =>
      customVjp(
        (x: Tensor) => mul(x, w),
        (x: Tensor) => [mul(x, w), x] as const,
        (_x: Tensor, ct: Tensor) => [mul(ct, w)] as [Tensor],
      );
    const e = thrown(() => grad((w: Tensor) => closing(w)(tensor(3)))(tensor(2))) as AdjointError;
    expect(e.code).toBe('CLOSED_OVER_TRACER');
    expect(e.op).toBe('customVjp');
    // closing over a concrete value is fine
    expect(item(grad(closing(tensor(2)))(3))).toBe(2);
  });

  it('differentiating an argument listed in nondiffArgnums: INVALID_ARGUMENT naming it and nondiffArgnums, not CLOSED_OVER_TRACER', () => {
    const powJ = customJvp(
      (x: Tensor, n: number) => pow(x, n),
      ([x, n]: [Tensor, number], [t]: [Tensor | undefined, undefined]) => [pow(x, n), mul(mul(n, pow(x, n - 1)), t!)] as const,
      { nondiffArgnums: [1] },
    );
    expect(item(grad(powJ)(tensor(2), 3))).toBe(12);
    const asTensor = powJ as unknown as (x: Tensor, n: Tensor) => Tensor;
    for (const run of [() => grad(asTensor, 1)(tensor(2), tensor(3)), () => jvp((n: Tensor) => asTensor(tensor(2), n), [tensor(3)], [tensor(1)])]) {
      const e = thrown(run) as AdjointError;
      expect(e.code).toBe('INVALID_ARGUMENT');
      expect(e.op).toBe('customJvp');
      expect(e.message).toMatch(/argument 1 is listed in nondiffArgnums but holds a value of shape \[\] traced by (grad|jvp)/);
      expect(e.message).toMatch(/remove 1 from nondiffArgnums and give its derivative in the rule/);
    }
    // inside a config object, for customVjp (a cyclic config is fine when nothing in it is traced)
    const scale = customVjp(
      (x: Tensor, c: { k: Tensor | number }) => mul(x, c.k),
      (x: Tensor, c: { k: Tensor | number }) => [mul(x, c.k), c.k] as const,
      (k: Tensor | number, ct: Tensor) => [mul(ct, k)] as [Tensor],
      { nondiffArgnums: [1] },
    );
    const e = thrown(() => grad((k: Tensor) => scale(tensor(2), { k }))(tensor(3))) as AdjointError;
    expect([e.code, e.op]).toEqual(['INVALID_ARGUMENT', 'customVjp']);
    expect(e.message).toMatch(/its cotangent among those bwd returns/);
    const cyclic: { k: number; self?: unknown } = { k: 3 };
    cyclic.self = cyclic;
    expect(item(grad((x: Tensor) => scale(x, cyclic))(tensor(2)))).toBe(3);
  });

  it('a bwd or jvpRule declaring one parameter (or more than two) is refused up front; rest parameters are fine', () => {
    const f = (x: Tensor) => mul(x, 2);
    const fwd = (x: Tensor) => [mul(x, 2), x] as const;
    // the finding: bwd = (ct) => [ct] took the residual for the cotangent and returned it as the gradient
    const e = thrown(() => customVjp(f, fwd, ((ct: Tensor) => [ct]) as never)) as AdjointError;
    expect([e.code, e.op]).toEqual(['INVALID_ARGUMENT', 'customVjp']);
    expect(e.message).toMatch(/bwd declares 1 parameter but is called as bwd\(residuals, ct\)/);
    expect(code(() => customVjp(f, fwd, ((_n: number, _x: Tensor, ct: Tensor) => [ct]) as never))).toBe('INVALID_ARGUMENT');
    const j = thrown(() => customJvp(f, (([x]: [Tensor]) => [f(x), x]) as never)) as AdjointError;
    expect([j.code, j.op]).toEqual(['INVALID_ARGUMENT', 'customJvp']);
    expect(j.message).toMatch(/jvpRule declares 1 parameter but is called as jvpRule\(primals, tangents\)/);
    // rest parameters (Function.length 0) are allowed
    const rest = customVjp(f, fwd, (...args: [Tensor, Tensor]) => [mul(args[1], 2)] as [Tensor]);
    expect(item(grad(rest)(5))).toBe(2);
  });

  it('a number argument used as a JavaScript number inside a rule: TENSOR_COERCION naming the rule and nondiffArgnums', () => {
    // without nondiffArgnums, n reaches the rule as a tensor and n - 1 cannot be computed
    const powJ = customJvp(
      (x: Tensor, n: number) => pow(x, n),
      ([x, n]: [Tensor, number], [t]: [Tensor | undefined, unknown]) => [pow(x, n), mul(mul(n, pow(x, n - 1)), t as Tensor)] as const,
    );
    const e = thrown(() => grad(powJ)(tensor(2), 3)) as AdjointError;
    expect([e.code, e.op]).toEqual(['TENSOR_COERCION', 'customJvp jvp rule']);
    expect(e.message).toMatch(/Here argument 1 of the call is a plain number, .* goes in nondiffArgnums \(nondiffArgnums: \[1\]\)/);
    const powV = customVjp(
      (x: Tensor, n: number) => pow(x, n),
      (x: Tensor, n: number) => [pow(x, n), [x, n]] as const,
      ([x, n]: readonly [Tensor, number], ct: Tensor) => [mul(ct, mul(n, pow(x, n - 1))), mul(ct, 0)] as [Tensor, Tensor],
    );
    const v = thrown(() => grad(powV)(tensor(2), 3)) as AdjointError;
    expect([v.code, v.op]).toEqual(['TENSOR_COERCION', 'customVjp bwd']);
    expect(v.message).toMatch(/nondiffArgnums: \[1\]/);
    // a tensor argument used as a number: the rule is named, with no hint about numbers
    const gt = customJvp((x: Tensor) => x, ([x]: [Tensor], [t]: [Tensor | undefined]) => [x, (x as unknown as number) > 0 ? t! : neg(t!)] as const);
    const g = thrown(() => grad(gt)(tensor(2))) as AdjointError;
    expect([g.code, g.op]).toEqual(['TENSOR_COERCION', 'customJvp jvp rule']);
    expect(g.message).not.toMatch(/nondiffArgnums/);
  });

  it('bad arguments', () => {
    expect(code(() => customVjp(5 as never, (x: Tensor) => [x, x] as const, (() => []) as never))).toBe('INVALID_ARGUMENT');
    expect(code(() => customJvp(sin, (() => [0, 0]) as never, { nondiff: [1] } as never))).toBe('UNKNOWN_OPTION');
    expect(code(() => customJvp(sin, (() => [0, 0]) as never, { nondiffArgnums: [0.5] }))).toBe('INVALID_ARGUMENT');
  });
});

describe('implicit differentiation', () => {
  const scalarSolve = (g: (v: Tensor) => Tensor, y: Tensor): Tensor => div(y, g(tensor(1)));
  const newton = (f: (x: Tensor) => Tensor, x0: Tensor): Tensor => {
    let x = x0;
    for (let i = 0; i < 40; i++) x = sub(x, div(f(x), mul(2, x)));
    return x;
  };
  const sqrtOf = (a: Tensor): Tensor => customRoot((x: Tensor) => sub(mul(x, x), a), tensor(1), newton, scalarSolve);

  it('customRoot: √a by Newton, differentiated by the implicit function theorem in both modes and at second order', () => {
    expect(item(sqrtOf(tensor(4)))).toBeCloseTo(2, 15);
    expect(item(grad(sqrtOf)(4))).toBeCloseTo(0.25, 14);
    expect(item(jvp(sqrtOf, [tensor(4)], [tensor(2)])[1])).toBeCloseTo(0.5, 14);
    expect(item(grad(grad(sqrtOf))(4))).toBeCloseTo(-1 / 32, 14);
    expect(item(hessian(sqrtOf)(tensor(4)))).toBeCloseTo(-1 / 32, 14);
    expect(checkGrads(sqrtOf, [tensor(2.5)], { order: 2 }).checks).toBeGreaterThan(0);
  });

  it('the solver is never differentiated: a solver that reads plain numbers still gives derivatives', () => {
    // bisection on concrete values (it could not be traced at all)
    const bisect = (f: (x: Tensor) => Tensor, x0: Tensor): Tensor => {
      let [lo, hi] = [0, item(x0) + 10];
      for (let i = 0; i < 80; i++) {
        const mid = (lo + hi) / 2;
        if (item(f(tensor(mid))) > 0) hi = mid;
        else lo = mid;
      }
      return tensor((lo + hi) / 2);
    };
    const root = (a: Tensor) => customRoot((x: Tensor) => sub(mul(x, x), a), tensor(1), bisect, scalarSolve);
    expect(item(grad(root)(9))).toBeCloseTo(1 / 6, 12);
  });

  it('customLinearSolve: derivatives with respect to b and to what matvec closes over', () => {
    const A = (a: Tensor) => (v: Tensor) => matmul(a, v);
    // a 2x2 solver by Cramer's rule, reading the operator only through matvec
    const e0 = tensor([[1], [0]]);
    const e1 = tensor([[0], [1]]);
    const cramer = (mv: (v: Tensor) => Tensor, b: Tensor): Tensor => {
      const [a, c] = [toNum(mv(e0), 0), toNum(mv(e0), 1)];
      const [bb, d] = [toNum(mv(e1), 0), toNum(mv(e1), 1)];
      const det = sub(mul(a, d), mul(bb, c));
      const [b0, b1] = [toNum(b, 0), toNum(b, 1)];
      return add(mul(e0, div(sub(mul(d, b0), mul(bb, b1)), det)), mul(e1, div(sub(mul(a, b1), mul(c, b0)), det)));
    };
    const toNum = (t: Tensor, i: number): Tensor => sum(mul(t, i === 0 ? tensor([[1], [0]]) : tensor([[0], [1]])));
    const a0 = tensor([[3, 1], [1, 2]]);
    const b0 = tensor([[1], [2]]);
    const x = (a: Tensor, b: Tensor) => customLinearSolve(A(a), b, cramer);
    const loss = (a: Tensor, b: Tensor) => sum(square(x(a, b)));
    // closed form: x = A⁻¹ b, dL/db = 2 A⁻ᵀ x, dL/dA = -A⁻ᵀ (2x) xᵀ
    const inv = tensor([[2 / 5, -1 / 5], [-1 / 5, 3 / 5]]);
    const xs = matmul(inv, b0);
    close(x(a0, b0), xs, 14);
    const [gA, gb] = grad(loss, { argnums: [0, 1] })(a0, b0);
    close(gb, matmul(transpose(inv), mul(2, xs)), 13);
    close(gA, neg(matmul(matmul(transpose(inv), mul(2, xs)), transpose(xs))), 13);
    expect(checkGrads(loss, [a0, b0], { order: 2 }).checks).toBeGreaterThan(0);
  });

  // the finding: a tangentSolve that squares its right-hand side gave 9 per entry for a true 3
  const fixedPoint = (f: (x: Tensor) => Tensor, x0: Tensor): Tensor => sub(x0, f(x0));
  const shifted = (tangentSolve: (g: (v: Tensor) => Tensor, y: Tensor) => Tensor) => (a: Tensor) =>
    mul(3, sum(customRoot((x: Tensor) => sub(x, a), tensor([1, 1]), fixedPoint, tangentSolve)));

  it('customRoot: a tangentSolve that is not linear in its right-hand side is NONLINEAR_RULE in both modes, not a wrong derivative', () => {
    const a = tensor([2, 2]);
    close(grad(shifted((_g, y) => y))(a), tensor([3, 3]), 15);
    const squaring = shifted((_g, y) => mul(y, y));
    const e = thrown(() => grad(squaring)(a)) as AdjointError;
    expect(e.code).toBe('NONLINEAR_RULE');
    expect(e.op).toBe('customRoot tangentSolve');
    expect(e.message).toMatch(/not linear in its right-hand side/);
    expect(code(() => jvp(squaring, [a], [tensor([1, 0])]))).toBe('NONLINEAR_RULE');
    // an offset, and iterations warm-started from a non-zero guess: affine, not linear
    expect(code(() => grad(shifted((_g, y) => add(y, 0.5)))(a))).toBe('NONLINEAR_RULE');
    const warm = (g: (v: Tensor) => Tensor, y: Tensor): Tensor => {
      let v = tensor([1, 1]);
      for (let i = 0; i < 3; i++) v = add(v, mul(0.5, sub(y, g(v))));
      return v;
    };
    expect(code(() => grad(shifted(warm))(a))).toBe('NONLINEAR_RULE');
    // at second order too (the tangent systems of the tangent systems use tangentSolve again)
    expect(code(() => hessian((t: Tensor) => sqrtOfWith(t, (_g, y) => mul(y, y)))(tensor(4)))).toBe('NONLINEAR_RULE');
  });
  const sqrtOfWith = (a: Tensor, tangentSolve: (g: (v: Tensor) => Tensor, y: Tensor) => Tensor): Tensor =>
    customRoot((x: Tensor) => sub(mul(x, x), a), tensor(1), newton, tangentSolve);

  it('an iterative solver with an absolute stopping rule is exactly linear in the check (S(-y) = -S(y)): no false alarm', () => {
    // conjugate gradients, stopped when |r| < 1e-12 (so it stops at a point that depends on |y|)
    const cg = (mv: (v: Tensor) => Tensor, b: Tensor): Tensor => {
      let [x, r, p] = [mul(b, 0), b, b];
      for (let i = 0; i < 50 && item(sum(square(r))) > 1e-24; i++) {
        const ap = mv(p);
        const alpha = div(sum(mul(r, r)), sum(mul(p, ap)));
        x = add(x, mul(alpha, p));
        const next = sub(r, mul(alpha, ap));
        p = add(next, mul(div(sum(mul(next, next)), sum(mul(r, r))), p));
        r = next;
      }
      return x;
    };
    const a0 = tensor([[4, 1, 0], [1, 3, 1], [0, 1, 2]]);
    const b0 = tensor([1, -2, 0.5]);
    const viaCg = (a: Tensor, b: Tensor) => sum(square(customLinearSolve((v: Tensor) => matmul(a, v), b, cg)));
    // the root of the affine f(x) = A x - b: one CG solve with the linear part x ↦ f(x) - f(0)
    const newtonCg = (f: (x: Tensor) => Tensor, x0: Tensor): Tensor => sub(x0, cg((v) => sub(f(v), f(mul(v, 0))), f(x0)));
    const viaRoot = (b: Tensor) => sum(square(customRoot((x: Tensor) => sub(matmul(a0, x), b), tensor([0, 0, 0]), newtonCg, cg)));
    const direct = (a: Tensor, b: Tensor) => sum(square(solve(a, b)));
    const [ga, gb] = grad(viaCg, { argnums: [0, 1] })(a0, b0);
    const [ha, hb] = grad(direct, { argnums: [0, 1] })(a0, b0);
    close(ga, ha, 10);
    close(gb, hb, 10);
    close(jvp((b: Tensor) => viaCg(a0, b), [b0], [tensor([1, 1, 1])])[1], jvp((b: Tensor) => direct(a0, b), [b0], [tensor([1, 1, 1])])[1], 10);
    close(grad(viaRoot)(b0), hb, 10);
  });

  it('customLinearSolve: a matvec that is not linear is NONLINEAR_RULE naming it, in both modes', () => {
    const identitySolve = (_mv: (v: Tensor) => Tensor, b: Tensor): Tensor => b;
    // the finding: silent before
    const squares = (a: Tensor) => sum(customLinearSolve((v: Tensor) => mul(a, mul(v, v)), tensor([1, 2]), identitySolve));
    const e = thrown(() => grad(squares)(tensor([1, 2]))) as AdjointError;
    expect(e.code).toBe('NONLINEAR_RULE');
    expect(e.op).toBe('customLinearSolve matvec');
    expect(e.message).toMatch(/matvec is not linear/);
    const affine = (a: Tensor) => sum(customLinearSolve((v: Tensor) => add(mul(a, v), 1), tensor([1, 2]), identitySolve));
    expect(code(() => grad(affine)(tensor(2)))).toBe('NONLINEAR_RULE');
    // forward mode differentiates matvec (and checks it) when what it closes over has a tangent
    expect(code(() => jvp(affine, [tensor(2)], [tensor(1)]))).toBe('NONLINEAR_RULE');
  });

  it('customLinearSolve: a matvec the library cannot trace (it reads numbers) still gives forward derivatives with respect to b', () => {
    const opaque = (v: Tensor): Tensor => {
      const [x, y] = toArray(v) as number[];
      return tensor([4 * x! + y!, x! + 3 * y!]);
    };
    const jacobi = (mv: (v: Tensor) => Tensor, b: Tensor): Tensor => {
      let x = div(b, tensor([4, 3]));
      for (let i = 0; i < 80; i++) x = add(x, div(sub(b, mv(x)), tensor([4, 3])));
      return x;
    };
    const x = (b: Tensor) => customLinearSolve(opaque, b, jacobi);
    // A⁻¹ = [[3, -1], [-1, 4]] / 11
    close(jvp(x, [tensor([1, 2])], [tensor([1, 0])])[1], tensor([3 / 11, -1 / 11]), 14);
  });

  it('customLinearSolve: a solve or transposeSolve not linear in its right-hand side is NONLINEAR_RULE naming it when differentiating', () => {
    const scale = (_mv: (v: Tensor) => Tensor, b: Tensor): Tensor => div(b, 2);
    const offset = (_mv: (v: Tensor) => Tensor, b: Tensor): Tensor => add(div(b, 2), 1);
    const x = (solve: typeof scale, transposeSolve?: typeof scale) => (b: Tensor) => sum(customLinearSolve((v: Tensor) => mul(2, v), b, solve, transposeSolve));
    const b0 = tensor([1, 2]);
    close(grad(x(scale))(b0), tensor([0.5, 0.5]), 15);
    expect(code(() => jvp(x(offset), [b0], [tensor([1, 1])]))).toBe('NONLINEAR_RULE');
    expect((thrown(() => jvp(x(offset), [b0], [tensor([1, 1])])) as AdjointError).op).toBe('customLinearSolve solve');
    expect((thrown(() => grad(x(scale, offset))(b0)) as AdjointError).op).toBe('customLinearSolve transposeSolve');
    // forward mode uses solve, not transposeSolve
    close(jvp(x(scale, offset), [b0], [tensor([1, 1])])[1], tensor(1), 15);
  });

  it('f and matvec must map X to X: TREE_MISMATCH naming them where the library first calls them, in and out of transforms', () => {
    const sums = (x: Tensor): Tensor => sum(x);
    const notSquare = [
      ['customRoot f', () => customRoot(sums, tensor([1, 1]), fixedPoint, (_g, y) => y)],
      ['customRoot f', () => grad((a: Tensor) => sum(customRoot((x: Tensor) => sum(mul(x, a)), tensor([1, 1]), fixedPoint, (_g, y) => y)))(tensor([1, 2]))],
      ['customLinearSolve matvec', () => customLinearSolve(sums, tensor([1, 1]), fixedPoint)],
      ['customLinearSolve matvec', () => grad((a: Tensor) => sum(customLinearSolve((x: Tensor) => sum(mul(x, a)), tensor([1, 1]), (_mv, b) => b)))(tensor([1, 2]))],
    ] as const;
    for (const [owner, run] of notSquare) {
      const e = thrown(run) as AdjointError;
      expect(e.code).toBe('TREE_MISMATCH');
      expect(e.op).toBe(owner);
      expect(e.message).toMatch(/shape \[\] but its input has shape \[2\]; (f|matvec) must return a value with the structure and shapes of its input/);
    }
    // a different structure
    const pair = (x: Tensor) => [x, x] as unknown as Tensor;
    const e = thrown(() => customRoot(pair, tensor([1, 1]), fixedPoint, (_g, y) => y)) as AdjointError;
    expect([e.code, e.op]).toEqual(['TREE_MISMATCH', 'customRoot f']);
    expect(code(() => jvp((b: Tensor) => customLinearSolve(pair, b, (_mv, y) => y), [tensor([1, 1])], [tensor([1, 1])]))).toBe('TREE_MISMATCH');
  });

  it('bad arguments', () => {
    expect(code(() => customRoot(5 as never, tensor(1), newton, scalarSolve))).toBe('INVALID_ARGUMENT');
    expect(code(() => customLinearSolve((v: Tensor) => v, tensor(1), (() => tensor([1, 2])) as never))).toBe('TREE_MISMATCH');
  });
});
