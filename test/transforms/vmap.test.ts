/**
 * `vmap` as a transform: per-example gradients of the spirals MLP; composition with every transform
 * in both orders and with the higher-order primitives (loops, checkpoint, custom rules, implicit
 * solves), each against a JavaScript loop over the lanes; options (pytree inAxes, outAxes,
 * axisSize); and bad input, each a typed error with its code. The per-primitive batching rules are
 * checked by the registry suite (test/rules/vmap.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { initParams, loss, makeSpirals, type Params } from '../../examples/spirals.js';
import {
  add,
  AdjointError,
  checkpoint,
  cos,
  customJvp,
  customLinearSolve,
  customRoot,
  customVjp,
  div,
  exp,
  foriLoop,
  grad,
  hessian,
  jacfwd,
  jacrev,
  jvp,
  log1p,
  matmul,
  mul,
  random,
  reshape,
  scan,
  sigmoid,
  sin,
  slice,
  square,
  stack,
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
  vmap,
  zeros,
} from '../../src/index.js';
import { expectClose, thrown } from '../reference.js';

const TOL = 1e-12;
const close = (actual: Tensor, expected: Tensor, what = 'value'): void => expectClose(actual, expected, TOL, what);

/** Lane `i` of `x` along `axis`. */
const lane = (x: Tensor, i: number, axis = 0): Tensor => take(x, i, axis);
/** `f` applied lane by lane over the first `n` lanes, each result stacked along axis 0. */
const loop = (n: number, f: (i: number) => Tensor): Tensor => stack(Array.from({ length: n }, (_, i) => f(i)));

/** The typed error `f` throws, with its code. */
function errorOf(f: () => unknown): AdjointError {
  const e = thrown(f);
  expect(e).toBeInstanceOf(AdjointError);
  return e as AdjointError;
}

// a small nonlinear function R³ → R³ with a matrix product, and a scalar function of it
const W = random.normal(random.key(5), [3, 3]);
const f = (x: Tensor): Tensor => mul(tanh(matmul(W, x)), sum(square(x)));
const g = (x: Tensor): Tensor => sum(sin(f(x)));
const LANES = 4;
const X = random.normal(random.key(6), [LANES, 3]);

describe('vmap: per-example gradients', () => {
  it('of the spirals MLP over 400 points equal a loop of grad to 1e-12', () => {
    const data = makeSpirals(random.key(0), 200);
    const params = initParams(random.key(1), 32);
    const m = data.x.shape[0]!;
    expect(m).toBe(400);
    // each lane is a batch of one example ([1, 2]), so the example's loss runs unchanged
    const xs = reshape(data.x, [m, 1, 2]);
    const ys = reshape(data.y, [m, 1, 2]);
    const perExample = vmap(grad(loss), { inAxes: [null, 0, 0] })(params, xs, ys) as Params;
    const oneByOne = Array.from({ length: m }, (_, i) => grad(loss)(params, slice(data.x, [i, 0], [i + 1, 2]), slice(data.y, [i, 0], [i + 1, 2])) as Params);
    for (const k of Object.keys(params) as (keyof Params)[]) {
      expect(perExample[k].shape).toEqual([m, ...params[k].shape]);
      close(perExample[k], stack(oneByOne.map((p) => p[k])), `d loss / d ${k}`);
    }
    // the loss is a mean over the examples: its gradient is the mean of the per-example ones
    const full = grad(loss)(params, data.x, data.y) as Params;
    for (const k of Object.keys(params) as (keyof Params)[]) expectClose(div(sum(perExample[k], { axis: 0 }), m), full[k], 1e-12, `mean of d loss / d ${k}`);
  });

  it('valueAndGrad under vmap gives per-example losses and gradients', () => {
    const data = makeSpirals(random.key(2), 5);
    const params = initParams(random.key(3), 4);
    const xs = reshape(data.x, [10, 1, 2]);
    const ys = reshape(data.y, [10, 1, 2]);
    const [values, grads] = vmap(valueAndGrad(loss), { inAxes: [null, 0, 0] })(params, xs, ys) as readonly [Tensor, Params];
    close(values, loop(10, (i) => loss(params, lane(xs, i), lane(ys, i))), 'losses');
    close(grads.w2, loop(10, (i) => (grad(loss)(params, lane(xs, i), lane(ys, i)) as Params).w2), 'd loss / d w2');
  });
});

describe('vmap composed with the transforms, against a loop', () => {
  it('vmap(grad(f)) and grad(vmap(f))', () => {
    const expected = loop(LANES, (i) => grad(g)(lane(X, i)) as Tensor);
    close(vmap(grad(g))(X) as Tensor, expected, 'vmap(grad)');
    close(grad((xs: Tensor) => sum(vmap(g)(xs)))(X) as Tensor, expected, 'grad(vmap)');
  });

  it('vmap(vjp) and vjp(vmap)', () => {
    const cts = random.normal(random.key(11), [LANES, 3]);
    const expected = loop(LANES, (i) => (vjp(f, lane(X, i))[1](lane(cts, i)) as unknown as Tensor[])[0]!);
    const mapped = vmap((x: Tensor, ct: Tensor) => (vjp(f, x)[1](ct) as unknown as Tensor[])[0]!)(X, cts);
    close(mapped, expected, 'vmap(vjp)');
    const [out, pullback] = vjp(vmap(f), X);
    close(out as Tensor, loop(LANES, (i) => f(lane(X, i))), 'vjp(vmap) output');
    close((pullback(cts) as unknown as Tensor[])[0]!, expected, 'vjp(vmap) cotangent');
  });

  it('vmap(jvp(f)) and jvp(vmap(f))', () => {
    const V = random.normal(random.key(8), [LANES, 3]);
    const expected = loop(LANES, (i) => jvp(f, [lane(X, i)], [lane(V, i)])[1] as Tensor);
    const [primals, tangents] = vmap((x: Tensor, v: Tensor) => jvp(f, [x], [v]))(X, V) as unknown as readonly [Tensor, Tensor];
    close(primals, loop(LANES, (i) => f(lane(X, i))), 'vmap(jvp) primal');
    close(tangents, expected, 'vmap(jvp) tangent');
    close(jvp(vmap(f), [X], [V])[1] as Tensor, expected, 'jvp(vmap)');
  });

  it('jacfwd(vmap(f)) and jacrev(vmap(f)) are block diagonal, with the lanes’ Jacobians on the diagonal', () => {
    const blocks = Array.from({ length: LANES }, (_, i) => jacfwd(f)(lane(X, i)) as Tensor);
    // J[b, :, c, :] = δ_bc J_b
    const expected = stack(blocks.map((J, b) => stack(blocks.map((_, c) => (c === b ? J : zeros([3, 3]))), 1)));
    close(jacfwd(vmap(f))(X) as Tensor, expected, 'jacfwd(vmap)');
    close(jacrev(vmap(f))(X) as Tensor, expected, 'jacrev(vmap)');
    close(vmap(jacfwd(f))(X) as Tensor, stack(blocks), 'vmap(jacfwd)');
    close(vmap(jacrev(f))(X) as Tensor, stack(blocks), 'vmap(jacrev)');
  });

  it('hessian of a vmapped function, and vmap of hessian', () => {
    const blocks = Array.from({ length: LANES }, (_, i) => hessian(g)(lane(X, i)) as Tensor);
    const expected = stack(blocks.map((H, b) => stack(blocks.map((_, c) => (c === b ? H : zeros([3, 3]))), 1)));
    close(hessian((xs: Tensor) => sum(vmap(g)(xs)))(X) as Tensor, expected, 'hessian(vmap)');
    close(vmap(hessian(g))(X) as Tensor, stack(blocks), 'vmap(hessian)');
  });

  it('vmap(vmap(f)) maps over two axes, in either order of the axes', () => {
    const X2 = random.normal(random.key(7), [2, LANES, 3]);
    const expected = stack([0, 1].map((i) => loop(LANES, (j) => f(lane(lane(X2, i), j)))));
    close(vmap(vmap(f))(X2) as Tensor, expected, 'vmap(vmap)');
    // the outer map over axis 1, the inner over the remaining axis 0: lanes swapped in the result
    close(vmap(vmap(f), { inAxes: 1 })(X2) as Tensor, stack([0, 1, 2, 3].map((j) => stack([0, 1].map((i) => f(lane(lane(X2, i), j)))))), 'vmap(vmap, inAxes 1)');
    // an outer value the inner map does not batch
    const mixed = vmap((x: Tensor, ys: Tensor) => vmap((y: Tensor) => mul(f(x), y))(ys))(X, random.normal(random.key(9), [LANES, 2, 3]));
    expect(mixed.shape).toEqual([LANES, 2, 3]);
  });

  it('grad of vmap of grad, and vmap(grad(grad)) of a scalar function (second order)', () => {
    const h = (x: Tensor): Tensor => mul(sin(x), exp(mul(0.3, x)));
    const xs = tensor([0.1, -0.4, 1.3]);
    const second = loop(3, (i) => grad(grad(h))(lane(xs, i)) as Tensor);
    close(vmap(grad(grad(h)))(xs) as Tensor, second, 'vmap(grad(grad))');
    close(grad((v: Tensor) => sum(vmap(grad(h))(v)))(xs) as Tensor, second, 'grad(vmap(grad))');
  });

  it('levels stay apart: grad inside vmap of a closure over the lane, grad outside over a mapped product', () => {
    // d/dy (x · y) = x in every lane
    close(vmap((x: Tensor) => grad((y: Tensor) => sum(mul(x, y)))(tensor([2, 2, 2])))(X) as Tensor, X, 'inner grad');
    // d/dw Σ_lanes (w · x_lane) = Σ_lanes x_lane
    const w = tensor([1, 2, 3]);
    close(grad((v: Tensor) => sum(vmap((x: Tensor) => mul(v, x))(X)))(w) as Tensor, sum(X, { axis: 0 }), 'outer grad');
  });
});

describe('vmap of the higher-order primitives, against a loop', () => {
  const C = random.normal(random.key(9), [LANES, 3]);
  const XS = random.normal(random.key(10), [LANES, 5, 3]);
  const body = (c: Tensor, x: Tensor): readonly [Tensor, Tensor] => [tanh(add(mul(c, x), c)), mul(c, x)];
  const run = (c: Tensor, xs: Tensor): readonly [Tensor, Tensor] => scan(body, c, xs);
  const scalarRun = (c: Tensor, xs: Tensor): Tensor => {
    const [cN, ys] = run(c, xs);
    return add(sum(cN), sum(sin(ys)));
  };
  const runGrads = (c: Tensor, xs: Tensor): Tensor[] => grad(scalarRun, { argnums: [0, 1] })(c, xs) as unknown as Tensor[];

  it('scan: carry and xs batched, or the carry only', () => {
    const [c, ys] = vmap(run)(C, XS);
    close(c, loop(LANES, (i) => run(lane(C, i), lane(XS, i))[0]), 'carry');
    close(ys, loop(LANES, (i) => run(lane(C, i), lane(XS, i))[1]), 'ys');
    const xs0 = lane(XS, 0);
    const [c1, ys1] = vmap(run, { inAxes: [0, null] })(C, xs0);
    close(c1, loop(LANES, (i) => run(lane(C, i), xs0)[0]), 'carry (xs shared)');
    close(ys1, loop(LANES, (i) => run(lane(C, i), xs0)[1]), 'ys (xs shared)');
  });

  it('scan: vmap(grad), grad(vmap) and jvp(vmap)', () => {
    const lanes = Array.from({ length: LANES }, (_, i) => runGrads(lane(C, i), lane(XS, i)));
    const [gc, gx] = vmap(runGrads)(C, XS);
    close(gc!, stack(lanes.map((l) => l[0]!)), 'vmap(grad) carry');
    close(gx!, stack(lanes.map((l) => l[1]!)), 'vmap(grad) xs');
    const [hc, hx] = grad((c: Tensor, xs: Tensor) => sum(vmap(scalarRun)(c, xs)), { argnums: [0, 1] })(C, XS) as unknown as Tensor[];
    close(hc!, stack(lanes.map((l) => l[0]!)), 'grad(vmap) carry');
    close(hx!, stack(lanes.map((l) => l[1]!)), 'grad(vmap) xs');
    const dC = random.normal(random.key(12), [LANES, 3]);
    close(jvp((c: Tensor) => vmap(scalarRun)(c, XS), [C], [dC])[1] as Tensor, loop(LANES, (i) => jvp((c: Tensor) => scalarRun(c, lane(XS, i)), [lane(C, i)], [lane(dC, i)])[1] as Tensor), 'jvp(vmap)');
  });

  it('scan with a batched closure, and foriLoop', () => {
    // the body closes over a batched value of the vmapped function
    const withClosure = (w: Tensor, xs: Tensor): Tensor => scan((c: Tensor, x: Tensor) => [add(mul(c, w), x), c] as const, zeros([3]), xs)[0];
    close(vmap(withClosure)(C, XS), loop(LANES, (i) => withClosure(lane(C, i), lane(XS, i))), 'closure');
    close(
      vmap(grad((w: Tensor, xs: Tensor) => sum(withClosure(w, xs))))(C, XS) as Tensor,
      loop(LANES, (i) => grad((w: Tensor) => sum(withClosure(w, lane(XS, i))))(lane(C, i)) as Tensor),
      'vmap(grad) closure',
    );
    const fori = (x: Tensor): Tensor => foriLoop(0, 3, (i, c: Tensor) => sin(add(mul(c, 1.5), i)), x);
    close(vmap(fori)(X), loop(LANES, (i) => fori(lane(X, i))), 'foriLoop');
    close(vmap(grad((x: Tensor) => sum(fori(x))))(X) as Tensor, loop(LANES, (i) => grad((x: Tensor) => sum(fori(x)))(lane(X, i)) as Tensor), 'vmap(grad(foriLoop))');
  });

  it('checkpoint: vmap, vmap(grad), grad(vmap)', () => {
    const layer = checkpoint((x: Tensor) => sin(mul(f(x), 2)));
    const plain = (x: Tensor): Tensor => sin(mul(f(x), 2));
    close(vmap(layer)(X), loop(LANES, (i) => plain(lane(X, i))), 'vmap');
    const expected = loop(LANES, (i) => grad((x: Tensor) => sum(plain(x)))(lane(X, i)) as Tensor);
    close(vmap(grad((x: Tensor) => sum(layer(x))))(X) as Tensor, expected, 'vmap(grad)');
    close(grad((xs: Tensor) => sum(vmap(layer)(xs)))(X) as Tensor, expected, 'grad(vmap)');
  });

  it('customVjp and customJvp: vmap, vmap(grad), grad(vmap), jvp(vmap)', () => {
    const mySin = customVjp((x: Tensor) => sin(x), (x: Tensor) => [sin(x), x] as const, (x: Tensor, ct: Tensor) => [mul(ct, cos(x))]);
    const softplus = customJvp((x: Tensor) => log1p(exp(x)), ([x]: Tensor[], [t]: Tensor[]) => [log1p(exp(x!)), mul(sigmoid(x!), t!)]);
    for (const [name, custom, reference] of [
      ['customVjp', mySin, sin],
      ['customJvp', softplus, (x: Tensor) => log1p(exp(x))],
    ] as const) {
      const viaCustom = (x: Tensor): Tensor => custom(f(x)) as Tensor;
      const viaPlain = (x: Tensor): Tensor => reference(f(x));
      close(vmap(viaCustom)(X), loop(LANES, (i) => viaPlain(lane(X, i))), `${name}: vmap`);
      const grads = loop(LANES, (i) => grad((x: Tensor) => sum(viaPlain(x)))(lane(X, i)) as Tensor);
      close(vmap(grad((x: Tensor) => sum(viaCustom(x))))(X) as Tensor, grads, `${name}: vmap(grad)`);
      close(grad((xs: Tensor) => sum(vmap(viaCustom)(xs)))(X) as Tensor, grads, `${name}: grad(vmap)`);
      close(jvp(vmap(viaCustom), [X], [C])[1] as Tensor, loop(LANES, (i) => jvp(viaPlain, [lane(X, i)], [lane(C, i)])[1] as Tensor), `${name}: jvp(vmap)`);
    }
  });

  it('customRoot and customLinearSolve: vmap, vmap(grad), grad(vmap), jvp(vmap)', () => {
    // √a as the root of x² - a (Newton); x = b / a by a solver that knows the operator is a scaling
    const newton = (F: (x: Tensor) => Tensor, x0: Tensor): Tensor => {
      let x = x0;
      for (let i = 0; i < 40; i++) x = sub(x, div(F(x), mul(2, x)));
      return x;
    };
    const scaling = (G: (v: Tensor) => Tensor, y: Tensor): Tensor => div(y, G(tensor(1)));
    const sqrtOf = (a: Tensor): Tensor => customRoot((x: Tensor) => sub(mul(x, x), a), tensor(1), newton, scaling);
    const quotient = (a: Tensor, b: Tensor): Tensor => customLinearSolve((v: Tensor) => mul(a, v), b, scaling);
    const as = tensor([1, 4, 9, 2]);
    const bs = tensor([2, -1, 0.5, 3]);
    close(vmap(sqrtOf)(as), tensor([1, 2, 3, Math.SQRT2]), 'customRoot');
    close(vmap(grad(sqrtOf))(as) as Tensor, tensor([0.5, 0.25, 1 / 6, 1 / (2 * Math.SQRT2)]), 'vmap(grad(customRoot))');
    close(grad((a: Tensor) => sum(vmap(sqrtOf)(a)))(as) as Tensor, tensor([0.5, 0.25, 1 / 6, 1 / (2 * Math.SQRT2)]), 'grad(vmap(customRoot))');
    close(jvp(vmap(sqrtOf), [as], [tensor([1, 1, 1, 1])])[1] as Tensor, tensor([0.5, 0.25, 1 / 6, 1 / (2 * Math.SQRT2)]), 'jvp(vmap(customRoot))');
    close(vmap(quotient)(as, bs), div(bs, as), 'customLinearSolve');
    // d(b/a)/da = -b/a², d(b/a)/db = 1/a
    const [da, db] = vmap(grad(quotient, { argnums: [0, 1] }))(as, bs) as unknown as Tensor[];
    close(da!, div(mul(-1, bs), mul(as, as)), 'vmap(grad(customLinearSolve)) a');
    close(db!, div(1, as), 'vmap(grad(customLinearSolve)) b');
    close(grad((a: Tensor) => sum(vmap(quotient, { inAxes: [0, null] })(a, tensor(2))))(as) as Tensor, div(-2, mul(as, as)), 'grad(vmap(customLinearSolve)), b shared');
  });
});

describe('vmap options', () => {
  it('inAxes as a pytree prefix: an ensemble of parameter sets over one shared input', () => {
    const members = { w: random.normal(random.key(20), [5, 3, 2]), b: random.normal(random.key(21), [5, 2]) };
    const x = random.normal(random.key(22), [4, 3]);
    const model = (p: { w: Tensor; b: Tensor }, xs: Tensor): Tensor => tanh(add(matmul(xs, p.w), p.b));
    const out = vmap(model, { inAxes: [{ w: 0, b: 0 }, null] })(members, x);
    close(out, loop(5, (i) => model({ w: lane(members.w, i), b: lane(members.b, i) }, x)), 'ensemble');
    // one shared bias, per-member weights
    const shared = vmap(model, { inAxes: [{ w: 0, b: null }, null] })({ w: members.w, b: lane(members.b, 0) }, x);
    close(shared, loop(5, (i) => model({ w: lane(members.w, i), b: lane(members.b, 0) }, x)), 'shared bias');
  });

  it('outAxes moves the lanes in the result; a pytree of outAxes per result', () => {
    const both = (x: Tensor): readonly [Tensor, Tensor] => [f(x), sum(x)];
    const [a, s] = vmap(both, { outAxes: [1, 0] })(X);
    close(a, reshape(stack(Array.from({ length: LANES }, (_, i) => f(lane(X, i))), 1), [3, LANES]), 'outAxes 1');
    close(s, sum(X, { axis: 1 }), 'outAxes 0');
    expect(vmap(f, { outAxes: -1 })(X).shape).toEqual([3, LANES]);
  });

  it('an unbatched result is repeated in every lane; axisSize when nothing is batched', () => {
    const c = tensor([1, 2]);
    expect(toArray(vmap(() => c, { inAxes: null, axisSize: 3 })())).toEqual([[1, 2], [1, 2], [1, 2]]);
    expect(toArray(vmap((x: Tensor, y: Tensor) => y, { inAxes: [0, null] })(X, c))).toEqual(Array.from({ length: LANES }, () => [1, 2]));
    // an unbatched result may keep no lane axis
    expect(toArray(vmap((x: Tensor, y: Tensor) => [mul(x, 2), y] as const, { inAxes: [0, null], outAxes: [0, null] })(X, c)[1])).toEqual([1, 2]);
  });

  it('zero lanes give results with an empty lane axis', () => {
    expect(vmap(f)(zeros([0, 3])).shape).toEqual([0, 3]);
    expect((vmap(grad(g))(zeros([0, 3])) as Tensor).shape).toEqual([0, 3]);
  });

  it('leaves its inputs unchanged and returns values that do not change them', () => {
    const x = tensor([[1, 2], [3, 4]]);
    const before = Array.from(toTypedArray(x));
    const out = vmap((r: Tensor) => mul(r, 2))(x);
    expect(Array.from(toTypedArray(x))).toEqual(before);
    expect(toArray(out)).toEqual([[2, 4], [6, 8]]);
  });

  it('a tracer used after vmap returned is a LEAKED_TRACER error', () => {
    let leaked: Tensor | undefined;
    vmap((x: Tensor) => {
      leaked = x;
      return x;
    })(X);
    expect(errorOf(() => add(leaked!, 1)).code).toBe('LEAKED_TRACER');
  });
});

describe('vmap: bad input, each a typed error with its code', () => {
  const two = (x: Tensor, y: Tensor): Tensor => add(x, y);

  it('inAxes not matching the arguments’ structure: TREE_MISMATCH', () => {
    const e1 = errorOf(() => vmap(two, { inAxes: [0] })(X, X));
    expect(e1.code).toBe('TREE_MISMATCH');
    expect(e1.message).toMatch(/inAxes has 1 entries but the function was called with 2/);
    expect(errorOf(() => vmap(two, { inAxes: [[0, 0], 0] })(X, X)).code).toBe('TREE_MISMATCH');
    const e3 = errorOf(() => vmap((p: { w: Tensor }) => p.w, { inAxes: [{ v: 0 }] })({ w: X }));
    expect(e3.code).toBe('TREE_MISMATCH');
    expect(e3.message).toMatch(/keys v .* keys w/);
    expect(errorOf(() => vmap((p: Tensor[]) => p[0]!, { inAxes: [{ w: 0 }] })([X])).code).toBe('TREE_MISMATCH');
  });

  it('inconsistent batch sizes: SHAPE_MISMATCH', () => {
    const e = errorOf(() => vmap(two)(zeros([2, 3]), zeros([3, 3])));
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.message).toMatch(/3 lanes along axis 0, but another batched argument has 2/);
    expect(errorOf(() => vmap(two, { inAxes: [0, 1] })(zeros([2, 3]), zeros([2, 3]))).code).toBe('SHAPE_MISMATCH');
    expect(errorOf(() => vmap(f, { axisSize: 5 })(X)).code).toBe('SHAPE_MISMATCH');
  });

  it('an axis out of range: AXIS_OUT_OF_RANGE', () => {
    const e = errorOf(() => vmap(f, { inAxes: 2 })(X));
    expect(e.code).toBe('AXIS_OUT_OF_RANGE');
    expect(e.message).toMatch(/axis 2 \(the axis of argument leaf 0\) is out of range for a value of rank 2/);
    expect(errorOf(() => vmap(f, { inAxes: -3 })(X)).code).toBe('AXIS_OUT_OF_RANGE');
    // a scalar has no axis to map over
    expect(errorOf(() => vmap(sin)(tensor(1))).code).toBe('AXIS_OUT_OF_RANGE');
    expect(errorOf(() => vmap(f, { outAxes: 2 })(X)).code).toBe('AXIS_OUT_OF_RANGE');
  });

  it('outAxes null for a batched result: TREE_MISMATCH', () => {
    const e = errorOf(() => vmap(f, { outAxes: null })(X));
    expect(e.code).toBe('TREE_MISMATCH');
    expect(e.message).toMatch(/result leaf 0 is batched but its outAxes entry is null/);
    expect(errorOf(() => vmap((x: Tensor) => [x, x], { outAxes: [0] })(X)).code).toBe('TREE_MISMATCH');
  });

  it('no batched argument without axisSize: INVALID_ARGUMENT', () => {
    const e = errorOf(() => vmap(f, { inAxes: null })(X));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toMatch(/axisSize/);
  });

  it('unknown and malformed options: UNKNOWN_OPTION, INVALID_ARGUMENT', () => {
    const e = errorOf(() => vmap(f, { inAxis: 0 } as never));
    expect(e.code).toBe('UNKNOWN_OPTION');
    expect(e.message).toMatch(/inAxis/);
    expect(errorOf(() => vmap(f, { axisSize: -1 })).code).toBe('INVALID_ARGUMENT');
    expect(errorOf(() => vmap(f, { axisSize: 1.5 })).code).toBe('INVALID_ARGUMENT');
    expect(errorOf(() => vmap(f, { randomness: 'sometimes' } as never)).code).toBe('INVALID_ARGUMENT');
    expect(errorOf(() => vmap(f, { inAxes: 'rows' } as never)(X)).code).toBe('INVALID_ARGUMENT');
    expect(errorOf(() => vmap(f, 3 as never)).code).toBe('INVALID_ARGUMENT');
    expect(errorOf(() => vmap(3 as never)).code).toBe('INVALID_ARGUMENT');
  });
});
