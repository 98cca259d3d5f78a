/**
 * The transforms' boundary (issue 8 §1, §2): argnums given directly as in JAX (`grad(f, 1)`,
 * `grad(f, [0, 1])`) for grad, valueAndGrad, jacrev, jacfwd and hessian, the options form kept; and a
 * typed error, when the transform is made, for what is not a function, bad argnums, unknown option
 * keys and options of the wrong type (checkGrads' included).
 */
import { describe, expect, it } from 'vitest';
import {
  add,
  checkGrads,
  checkpoint,
  grad,
  hessian,
  hvp,
  item,
  jacfwd,
  jacrev,
  jvp,
  mul,
  type Operand,
  printTape,
  scalar,
  scan,
  sin,
  sqrt,
  stopGradient,
  sum,
  take,
  type Tensor,
  tensor,
  toArray,
  valueAndGrad,
  vjp,
  vmap,
} from '../../src/index.js';
import { expectTyped } from '../typed.js';

const loose = (f: unknown): ((...a: unknown[]) => unknown) => f as (...a: unknown[]) => unknown;
const f = (x: Operand, y: Operand): Tensor => mul(mul(x, x), y); // x² y

describe('argnums given directly, as in JAX', () => {
  it('grad(f, 1) and grad(f, [0, 1]) are grad(f, { argnums: 1 }) and grad(f, { argnums: [0, 1] })', () => {
    expect(item(grad(f, 1)(3, 2))).toBe(9);
    expect(grad(f, [0, 1])(3, 2).map(item)).toEqual([12, 9]);
    expect(item(grad(f, { argnums: 1 })(3, 2))).toBe(9);
    const [v, g] = valueAndGrad(f, 1)(3, 2);
    expect([item(v), item(g)]).toEqual([18, 9]);
    expect(valueAndGrad(f, [1, 0])(3, 2)[1].map(item)).toEqual([9, 12]);
  });

  it('jacrev, jacfwd and hessian take them too', () => {
    const g = (x: Tensor, w: Tensor): Tensor => mul(sin(x), w);
    const x = tensor([0, 1]);
    const w = tensor([2, 3]);
    expect(toArray(jacrev(g, 1)(x, w))).toEqual(toArray(jacrev(g, { argnums: 1 })(x, w)));
    expect(toArray(jacfwd(g, 1)(x, w))).toEqual([
      [0, 0],
      [0, Math.sin(1)],
    ]);
    const [jx, jw] = jacrev(g, [0, 1])(x, w);
    expect(toArray(jw)).toEqual(toArray(jacfwd(g, [0, 1])(x, w)[1]));
    expect(jx.shape).toEqual([2, 2]);
    const h = hessian((a: Tensor, b: Tensor) => sum(mul(mul(a, a), b)), 1)(x, w);
    expect(toArray(h)).toEqual([
      [0, 0],
      [0, 0],
    ]);
    const [[haa, hab], [hba, hbb]] = hessian((a: Tensor, b: Tensor) => sum(mul(mul(a, a), b)), [0, 1])(x, w);
    expect([toArray(haa), toArray(hab), toArray(hba), toArray(hbb)]).toEqual([
      [
        [4, 0],
        [0, 6],
      ],
      [
        [0, 0],
        [0, 2],
      ],
      [
        [0, 0],
        [0, 2],
      ],
      [
        [0, 0],
        [0, 0],
      ],
    ]);
  });
});

describe('bad argnums, options and functions are typed errors when the transform is made', () => {
  it('a repeated argnum is INVALID_ARGUMENT (grad(f, { argnums: [0, 0] }) used to give [0, 6])', () => {
    for (const [op, make] of [
      ['grad', grad],
      ['valueAndGrad', valueAndGrad],
      ['jacrev', jacrev],
      ['jacfwd', jacfwd],
      ['hessian', hessian],
    ] as const) {
      expectTyped(() => loose(make)(f, { argnums: [0, 0] }), 'INVALID_ARGUMENT', op, ['argument 0 is listed twice']);
      expectTyped(() => loose(make)(f, [1, 1]), 'INVALID_ARGUMENT', op, ['listed twice']);
      expectTyped(() => loose(make)(f, []), 'INVALID_ARGUMENT', op, ['non-empty']);
      // the message names both accepted forms: argnums given directly, and the options object
      expectTyped(() => loose(make)(f, '1'), 'INVALID_ARGUMENT', op, ['options is the string "1"', 'pass argnums (an argument index', 'or an options object with keys argnums']);
      expectTyped(() => loose(make)(f, -1), 'ARGNUMS_OUT_OF_RANGE', op, ['start at 0']);
      expectTyped(() => loose(make)(f, 1.5), 'INVALID_ARGUMENT', op, ['argnums is the number 1.5']);
      expectTyped(() => loose(make)(f, { argnum: 1 }), 'UNKNOWN_OPTION', op, ['"argnum"', 'did you mean "argnums"']);
      expectTyped(() => loose(make)(5), 'INVALID_ARGUMENT', op, ['f is the number 5', 'pass a function']);
      expectTyped(() => loose(make)(class Model {}), 'INVALID_ARGUMENT', op, ['the class Model']);
      expectTyped(() => loose(make)(f, 0, 1), 'INVALID_ARGUMENT', op, ['got 3 arguments']);
    }
  });

  it('grad: hasAux and checkNumerics are booleans', () => {
    expectTyped(() => loose(grad)(f, { hasAux: 'yes' }), 'INVALID_ARGUMENT', 'grad', ['hasAux is the string "yes"', 'true or false']);
    expectTyped(() => loose(grad)(f, { checkNumerics: 1 }), 'INVALID_ARGUMENT', 'grad', ['checkNumerics is the number 1']);
    expectTyped(() => loose(jacrev)(f, { hasAux: true }), 'UNKNOWN_OPTION', 'jacrev', ['"hasAux"', 'argnums, checkNumerics']);
  });

  it('vjp, jvp, hvp, printTape, stopGradient: functions, arrays of primals, option objects', () => {
    expectTyped(() => loose(vjp)(5, 1), 'INVALID_ARGUMENT', 'vjp', ['f is the number 5']);
    expectTyped(() => loose(jvp)((x: Tensor) => x, 1, [1]), 'INVALID_ARGUMENT', 'jvp', ['primals is the number 1', 'jvp(f, [x], [dx])']);
    expectTyped(() => loose(jvp)((x: Tensor) => x, [1], 1), 'INVALID_ARGUMENT', 'jvp', ['tangents is the number 1']);
    expectTyped(() => loose(jvp)((x: Tensor) => x, [1], [1], { checkNumeric: true }), 'UNKNOWN_OPTION', 'jvp', ['"checkNumeric"']);
    expectTyped(() => loose(hvp)('f', [1], [1]), 'INVALID_ARGUMENT', 'hvp', ['f is the string "f"']);
    expectTyped(() => loose(hvp)((x: Tensor) => x, 1, [1]), 'INVALID_ARGUMENT', 'hvp', ['primals is the number 1']);
    expectTyped(() => loose(printTape)(null), 'INVALID_ARGUMENT', 'printTape', ['f is null']);
    expectTyped(() => loose(stopGradient)(1, 2), 'INVALID_ARGUMENT', 'stopGradient', ['got 2 arguments']);
    const [, pullback] = vjp((x: Tensor) => mul(x, 2), tensor([1, 2]));
    expectTyped(() => loose(pullback)(tensor([1, 1]), 'extra'), 'INVALID_ARGUMENT', 'vjp pullback', ['got 2 arguments']);
  });

  it('checkGrads: order is an integer from 1 to 4; modes, tolerances, eps and seed are checked', () => {
    const g = (x: Tensor): Tensor => mul(sin(x), x);
    const x = [tensor([0.5, 1.5])];
    expectTyped(() => checkGrads(g, x, { order: 0.5 }), 'INVALID_ARGUMENT', 'checkGrads', ['order is the number 0.5', '[1, 4]']);
    expectTyped(() => checkGrads(g, x, { order: 0 }), 'INVALID_ARGUMENT', 'checkGrads', ['order']);
    expectTyped(() => checkGrads(g, x, { order: 5 }), 'INVALID_ARGUMENT', 'checkGrads', ['order']);
    expectTyped(() => checkGrads(g, x, { modes: [] }), 'INVALID_ARGUMENT', 'checkGrads', ['modes']);
    expectTyped(() => loose(checkGrads)(g, x, { modes: ['fwd', 'fwd'] }), 'INVALID_ARGUMENT', 'checkGrads', ['each at most once']);
    expectTyped(() => loose(checkGrads)(g, x, { modes: ['forward'] }), 'INVALID_ARGUMENT', 'checkGrads', ['modes[0] is the string "forward"']);
    expectTyped(() => checkGrads(g, x, { eps: 0 }), 'INVALID_ARGUMENT', 'checkGrads', ['eps is the number 0', 'positive']);
    expectTyped(() => checkGrads(g, x, { rtol: -1 }), 'INVALID_ARGUMENT', 'checkGrads', ['rtol']);
    expectTyped(() => checkGrads(g, x, { atol: NaN }), 'INVALID_ARGUMENT', 'checkGrads', ['atol is NaN']);
    expectTyped(() => checkGrads(g, x, { dotRtol: Infinity }), 'INVALID_ARGUMENT', 'checkGrads', ['dotRtol']);
    expectTyped(() => checkGrads(g, x, { seed: 0.5 }), 'INVALID_ARGUMENT', 'checkGrads', ['seed is the number 0.5']);
    expectTyped(() => loose(checkGrads)(g, x, { tol: 1 }), 'UNKNOWN_OPTION', 'checkGrads', ['"tol"']);
    expectTyped(() => loose(checkGrads)(g, tensor(1)), 'INVALID_ARGUMENT', 'checkGrads', ['args is a Tensor', 'checkGrads(f, [x])']);
    expectTyped(() => loose(checkGrads)(5, x), 'INVALID_ARGUMENT', 'checkGrads', ['f is the number 5']);
    expect(checkGrads(g, x, { order: 2, modes: ['rev'], seed: 3 }).checks).toBeGreaterThan(0);
  });

  it('the returned function checks its arguments when called', () => {
    expectTyped(() => grad(f, 2)(3, 2), 'ARGNUMS_OUT_OF_RANGE', 'grad', ['2 argument(s)']);
    expectTyped(() => loose(grad((x: Tensor) => sum(x)))('a'), 'NOT_NUMERIC', 'grad', ['string']);
    expect(item(grad((x: Tensor) => add(x, 1))(2))).toBe(1);
  });
});

describe('messages name the function the user called and say what is wrong (QA findings)', () => {
  it('hessian, hvp and checkGrads report their own name, not that of the transforms they are built from', () => {
    // checkNumerics under hessian (it is jacfwd of jacrev inside)
    expectTyped(() => hessian((x: Tensor) => sum(sqrt(x)), { checkNumerics: true })(tensor([0, 2])), 'NON_FINITE', 'hessian', []);
    const leaked: Tensor[] = [];
    hessian((x: Tensor) => {
      leaked.push(x);
      return sum(mul(x, x));
    })(tensor([1, 2]));
    expectTyped(() => mul(leaked[0]!, 2), 'LEAKED_TRACER', 'hessian', []);
    expectTyped(() => hvp((x: Tensor) => x, [tensor([0, 2])], [tensor([1, 1])]), 'NON_SCALAR_OUTPUT', 'hvp', []);
    expectTyped(() => hvp((x: Tensor) => sum(x), [tensor([0, 2])], [tensor([1, 1], 'float32')]), 'INVALID_DTYPE', 'hvp', ['argument 0']);
    expectTyped(() => loose(hvp)((x: Tensor) => sum(x), [tensor([1])], 5), 'INVALID_ARGUMENT', 'hvp', ['tangents is the number 5', 'hvp(f, [x], [dx])']);
    expectTyped(() => checkGrads((x: Tensor) => [x, 'a'] as unknown as Tensor, [tensor([1])]), 'NOT_NUMERIC', 'checkGrads', []);
  });

  it('checkGrads refuses a non-finite point up front (it blamed the jvp rule)', () => {
    expectTyped(() => checkGrads(sin, [tensor([NaN])]), 'NON_FINITE', 'checkGrads', ['element 0 of argument 0 is NaN', 'finite point']);
    expectTyped(() => checkGrads((a: Tensor, b: { u: Tensor; v: Tensor }) => add(a, b.v), [tensor([1]), { u: tensor([1]), v: tensor([1, Infinity]) }]), 'NON_FINITE', 'checkGrads', [
      'element 1 of argument 1 (its leaf 1) is Infinity',
    ]);
    expectTyped(() => checkGrads(sin, [-Infinity]), 'NON_FINITE', 'checkGrads', ['-Infinity']);
  });

  it('grad of a function called with no arguments says it needs one (it said "use indices 0..-1")', () => {
    const e = expectTyped(() => grad((a: Tensor) => mul(a, a))(...([] as unknown as [Tensor])), 'ARGNUMS_OUT_OF_RANGE', 'grad', ['called with no arguments', 'at least one']);
    expect(e.message).not.toContain('0..-1');
    expectTyped(() => loose(jacrev((a: Tensor) => a))(), 'ARGNUMS_OUT_OF_RANGE', 'jacrev', ['no arguments']);
    expectTyped(() => loose(valueAndGrad((a: Tensor) => a, [0, 1]))(), 'ARGNUMS_OUT_OF_RANGE', 'valueAndGrad', ['no arguments', 'argnums [0, 1]']);
  });

  it('take names itself and its indices for a bad index list (it named tensor)', () => {
    expectTyped(() => take(tensor([1, 2, 3]), ['1'] as never), 'NOT_NUMERIC', 'take', ['element of indices at [0] is the string "1"']);
    expectTyped(() => take(tensor([1, 2, 3]), [[0], [1, 2]]), 'RAGGED_ARRAY', 'take', ['indices']);
  });

  it('vmap names itself for an axisSize no buffer can hold (it named broadcastTo)', () => {
    expectTyped(() => vmap(() => scalar(1), { inAxes: null, axisSize: 1e10 })(), 'ALLOCATION_TOO_LARGE', 'vmap', ['10000000000']);
  });

  it('an enum option suggests the nearest value (checkpoint policy, dtypes, scan checkpoint)', () => {
    expectTyped(() => checkpoint(sin, { policy: 'matmul' } as never), 'INVALID_ARGUMENT', 'checkpoint', [
      'options.policy is the string "matmul"',
      "pass 'nothing', 'matmuls' or a function (primitiveName) => boolean (did you mean 'matmuls'?)",
    ]);
    expectTyped(() => checkpoint(sin, { policy: 5 } as never), 'INVALID_ARGUMENT', 'checkpoint', ['options.policy is the number 5']);
    expectTyped(() => tensor([1], 'float3' as never), 'INVALID_DTYPE', 'tensor', ["pass 'float64' or 'float32' (did you mean 'float32'?)"]);
    expectTyped(() => vmap(sin, { randomness: 'sme' } as never), 'INVALID_ARGUMENT', 'vmap', ["pass 'different', 'same' or 'error' (did you mean 'same'?)"]);
    expectTyped(() => scan((c: Tensor) => [c, c], scalar(0), undefined, { length: 2, checkpoint: 'al' } as never), 'INVALID_ARGUMENT', 'scan', ["pass 'all' (the default: keep every step) or { snapshots: s } with an integer s >= 1 (did you mean 'all'?)"]);
  });

  it('an options object whose prototype is not Object.prototype says it is not a plain object (it said "an empty object")', () => {
    expectTyped(() => sum(tensor([[1, 2]]), Object.create({ axis: 1 })), 'INVALID_ARGUMENT', 'sum', ['not a plain object']);
    expectTyped(() => sum(tensor([[1, 2]]), 1, Object.create({ keepdims: true })), 'INVALID_ARGUMENT', 'sum', ['not a plain object']);
  });
});
