/**
 * Custom derivative rules that are valid in every mode. A rule given for one mode is transposed to
 * get the other: the vjp of a linear map is its transpose, so
 *
 * - `customJvp(f, jvpRule)`: reverse mode pulls back through the tangent map `t ↦ jvpRule(x, t)[1]`,
 *   which is linear in `t`;
 * - `customVjp(f, fwd, bwd)`: forward mode pushes through the transpose of `ct ↦ bwd(res, ct)`,
 *   which is linear in `ct`.
 *
 * Linearity is checked, not assumed: the transposition is taken at a fixed non-zero point `u`, and
 * the dot-product identity `<T u, w> = <u, Tᵀ w>` must hold for the (co)tangent `w` being mapped,
 * or the call fails with `NONLINEAR_RULE` naming the rule. Rules are written with the library's ops,
 * so they are differentiated again for higher orders (`customVjp`'s `fwd` runs when the pullback
 * runs, so residuals are always computed from the values the outer transforms see, and double
 * backward is right by construction: the failure of PyTorch issue 76185 cannot happen). Rules and
 * the function may close over nothing traced (`CLOSED_OVER_TRACER`): differentiable values are
 * arguments. Arguments listed in `nondiffArgnums` are passed through as they are (integers, flags,
 * config objects) and get no cotangent, so a transform may not trace them (`INVALID_ARGUMENT` says
 * which); the others reach `f` and the rules as tensors, plain numbers included, and a rule that
 * uses such a tensor as a JavaScript number gets a `TENSOR_COERCION` pointing to `nondiffArgnums`.
 * Both rules take two parameters; one that declares one (or more than two) would receive the wrong
 * value silently, so it is refused when the custom function is made, and does not type-check.
 * Compare JAX's `jax.custom_jvp` / `jax.custom_vjp`, whose `custom_vjp` cannot be used in forward
 * mode.
 *
 * @since 0.1.0
 */
import { checkArity, parseFunction, parseInteger, parseOptions } from '../core/args.js';
import { makeScope, withScopeChecked } from '../core/closure.js';
import { asTensor, zerosLike } from '../core/creation.js';
import { AdjointError, ArgumentError, formatShape, ShapeError } from '../core/errors.js';
import type { AbstractValue } from '../core/primitive.js';
import { bindMulti } from '../core/primitive.js';
import type { MultiRule } from '../core/rule.js';
import { isTensor, type Tensor } from '../core/Tensor.js';
import { probeValue, traceOf, tracesOpen } from '../core/Trace.js';
import { describeDef, flatten, mapTensors, sameDef, type TreeDef, unflatten } from '../core/Tree.js';
import { isZero, type Tangent } from '../core/zero.js';
import { checkDotProduct, probePoint } from './linearity.js';
import { type Cotangent, vjpAs } from './transforms.js';
import { liftBatch } from './vmap.js';

/**
 * Options of `customJvp` and `customVjp`.
 *
 * @category transforms
 * @since 0.1.0
 */
export interface CustomRuleOptions {
  /** Positions of arguments that are not differentiated: passed through as they are, any JavaScript value. */
  readonly nondiffArgnums?: ReadonlyArray<number>;
}

type NondiffOf<O> = O extends { readonly nondiffArgnums: ReadonlyArray<infer N> } ? (N extends number ? N : never) : never;

/** The cotangents a `bwd` rule returns: one per differentiable argument, in order, skipping `N`. */
export type DiffCotangents<A extends readonly unknown[], N extends number, I extends unknown[] = [], Out extends unknown[] = []> = A extends readonly [
  infer H,
  ...infer T,
]
  ? DiffCotangents<T, N, [...I, 0], I['length'] extends N ? Out : [...Out, Cotangent<H>]>
  : Out;

/** The tangents a `jvpRule` receives: one per argument, `undefined` for non-differentiable ones. */
export type ArgTangents<A extends readonly unknown[], N extends number, I extends unknown[] = [], Out extends unknown[] = []> = A extends readonly [
  infer H,
  ...infer T,
]
  ? ArgTangents<T, N, [...I, 0], [...Out, I['length'] extends N ? undefined : Cotangent<H>]>
  : Out;

/** `unknown` for a rule of two parameters (or rest parameters), else the message `M`, so a one-parameter rule does not type-check. */
export type TwoParameters<F, M extends string> = F extends (...args: infer P) => unknown ? ([P['length']] extends [1] ? M : unknown) : unknown;

/** How a call's arguments split into differentiable leaves and pass-through values. */
interface CallShape {
  readonly args: ReadonlyArray<unknown>;
  readonly diff: ReadonlyArray<boolean>;
  readonly defs: ReadonlyArray<TreeDef | undefined>;
  readonly counts: ReadonlyArray<number>;
  /** Differentiable arguments that held plain numbers (the rules see them as tensors), for messages. */
  readonly numeric: ReadonlyArray<number>;
}

function splitArgs(op: string, args: ReadonlyArray<unknown>, nondiff: ReadonlySet<number>): [CallShape, Tensor[]] {
  const leaves: Tensor[] = [];
  const defs: Array<TreeDef | undefined> = [];
  const counts: number[] = [];
  const numeric: number[] = [];
  const diff = args.map((_, i) => !nondiff.has(i));
  args.forEach((a, i) => {
    if (!diff[i]) {
      defs.push(undefined);
      counts.push(0);
      return;
    }
    const f = flatten(op, a);
    f.leaves.forEach((l) => leaves.push(asTensor(op, l)));
    if (f.leaves.some((l) => !isTensor(l))) numeric.push(i);
    defs.push(f.def);
    counts.push(f.leaves.length);
  });
  return [{ args, diff, defs, counts, numeric }, leaves];
}

/** The arguments rebuilt from differentiable leaves (pass-through ones as they were). */
function rebuild(shape: CallShape, leaves: ReadonlyArray<Tensor>): unknown[] {
  let at = 0;
  return shape.args.map((a, i) => {
    if (!shape.diff[i]) return a;
    const part = leaves.slice(at, (at += shape.counts[i]!));
    return unflatten(shape.defs[i]!, part, false);
  });
}

/**
 * Runs a user function under a scope that refuses traced values it closes over. A tensor used as a
 * JavaScript number inside it (`n - 1`) is most often a number argument that should have been in
 * `nondiffArgnums` (differentiable arguments reach the rules as tensors): `TENSOR_COERCION` says so.
 */
function forbidding<T>(owner: string, shape: CallShape, inputs: ReadonlyArray<Tensor>, body: () => T): T {
  try {
    return withScopeChecked(makeScope('forbid', owner, inputs), body);
  } catch (e) {
    // `op` is 'Tensor' where the coercion happened; a nested custom rule has already added its hint
    if (e instanceof AdjointError && e.code === 'TENSOR_COERCION' && e.op === 'Tensor') throw coercionHint(owner, shape, e);
    throw e;
  }
}

function coercionHint(owner: string, shape: CallShape, e: AdjointError): ArgumentError {
  const message = e.message.slice(e.op.length + 2);
  const n = shape.numeric;
  // plain numbers of the call are the only values a custom rule sees turned into tensors
  if (n.length === 0) return new ArgumentError('TENSOR_COERCION', owner, message);
  const which =
    n.length === 1
      ? `argument ${n[0]} of the call is a plain number, which reaches f and the rules as a tensor because it is differentiable`
      : `arguments ${n.join(', ')} of the call hold plain numbers, which reach f and the rules as tensors because they are differentiable`;
  return new ArgumentError(
    'TENSOR_COERCION',
    owner,
    `${message}. Here ${which}: an argument that is not differentiated ` +
      `(an integer exponent, a flag, a size) goes in nondiffArgnums (nondiffArgnums: [${n.join(', ')}]) and is then passed as it is`,
  );
}

/** The first traced tensor inside a pass-through value (arrays, plain objects, Maps, Sets; cycles allowed). */
function tracedIn(value: unknown): Tensor | undefined {
  const seen = new Set<unknown>();
  const stack = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (isTensor(v)) {
      if (traceOf(v) !== undefined) return v;
      continue;
    }
    if (typeof v !== 'object' || v === null || seen.has(v)) continue;
    seen.add(v);
    // (loops, not spreads: a long array would overflow the argument list)
    if (Array.isArray(v) || v instanceof Set) for (const x of v) stack.push(x);
    else if (v instanceof Map) for (const [k, x] of v) stack.push(k, x);
    else if (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null) for (const x of Object.values(v)) stack.push(x);
  }
  return undefined;
}

const tensorsIn = (v: unknown): Tensor[] => {
  const out: Tensor[] = [];
  mapTensors(v, (t) => {
    out.push(t);
    return t;
  });
  return out;
};

/** Checks a rule's result tree against the structure and shapes it must have; returns its leaves. */
function leavesLike(owner: string, what: string, value: unknown, def: TreeDef, avals: ReadonlyArray<AbstractValue>): Tensor[] {
  const { leaves, def: got } = flatten(owner, value);
  if (!sameDef(got, def)) {
    throw new ShapeError('TREE_MISMATCH', owner, `${what} has structure ${describeDef(got)} but must match ${describeDef(def)}`);
  }
  return leaves.map((l, i) => {
    const t = asTensor(owner, l, avals[i]!.dtype);
    const want = avals[i]!.shape;
    if (t.shape.length !== want.length || t.shape.some((d, j) => d !== want[j])) {
      throw new ShapeError('TREE_MISMATCH', owner, `leaf ${i} of ${what} has shape ${formatShape(t.shape)} but must have shape ${formatShape(want)}`);
    }
    return t;
  });
}

const avalOf = (t: Tensor): AbstractValue => ({ shape: t.shape, dtype: t.dtype });
const materialize = (t: Tangent, like: AbstractValue): Tensor => (isZero(t) ? zerosLike(like as Tensor) : t);

/**
 * Transposes the map `lin` (leaves to leaves), which must be linear, at the point `u`, applies the
 * transpose to `w`, and checks the dot-product identity `<lin(u), w> = <u, linᵀ(w)>`.
 */
function transpose(owner: string, what: string, lin: (xs: ReadonlyArray<Tensor>) => Tensor[], u: ReadonlyArray<Tensor>, w: ReadonlyArray<Tensor>): Tensor[] {
  const [lu, pullback] = vjpAs(owner, (...xs: Tensor[]) => lin(xs), u) as unknown as readonly [Tensor[], (ct: ReadonlyArray<Tensor>) => Tensor[]];
  const out = pullback(w);
  checkDotProduct(owner, what, 'a tangent or cotangent rule must be linear in the (co)tangent (no squares, no constant offsets, no branching on its values)', u, lu, w, out);
  return out;
}

interface CustomParams {
  readonly owner: string;
  readonly shape: CallShape;
  readonly outDef: TreeDef;
  readonly outAvals: ReadonlyArray<AbstractValue>;
  readonly probe: { readonly operands: ReadonlyArray<Tensor>; readonly outputs: ReadonlyArray<Tensor> };
  readonly f: (...args: unknown[]) => unknown;
  readonly jvpRule?: (primals: unknown[], tangents: unknown[]) => unknown;
  readonly fwd?: (...args: unknown[]) => unknown;
  readonly bwd?: (residuals: unknown, ct: unknown) => unknown;
}

function runF(p: CustomParams, operands: ReadonlyArray<Tensor>): Tensor[] {
  if (operands.length === p.probe.operands.length && operands.every((x, i) => x === p.probe.operands[i])) return p.probe.outputs.slice();
  return forbidding(p.owner, p.shape, operands, () => leavesLike(p.owner, 'the function result', p.f(...rebuild(p.shape, operands)), p.outDef, p.outAvals));
}

/** customJvp: the tangent map at `primals`, leaves to leaves. */
function tangentMap(p: CustomParams, primals: ReadonlyArray<Tensor>): (ts: ReadonlyArray<Tensor>) => Tensor[] {
  return (ts) =>
    forbidding(`${p.owner} jvp rule`, p.shape, [...primals, ...ts], () => {
      const tangents = rebuild(p.shape, ts).map((t, i) => (p.shape.diff[i] ? t : undefined));
      const r = p.jvpRule!(rebuild(p.shape, primals), tangents);
      if (!Array.isArray(r) || r.length !== 2) {
        throw new ArgumentError('INVALID_ARGUMENT', `${p.owner} jvp rule`, 'the rule must return a pair [primalOut, tangentOut]');
      }
      leavesLike(`${p.owner} jvp rule`, 'the primal output', r[0], p.outDef, p.outAvals);
      return leavesLike(`${p.owner} jvp rule`, 'the tangent output', r[1], p.outDef, p.outAvals);
    });
}

/** customVjp: `fwd`'s residuals at `primals`. */
function residualsAt(p: CustomParams, primals: ReadonlyArray<Tensor>): unknown {
  return forbidding(`${p.owner} fwd`, p.shape, primals, () => {
    const r = p.fwd!(...rebuild(p.shape, primals));
    if (!Array.isArray(r) || r.length !== 2) throw new ArgumentError('INVALID_ARGUMENT', `${p.owner} fwd`, 'fwd must return a pair [output, residuals]');
    leavesLike(`${p.owner} fwd`, 'the output of fwd', r[0], p.outDef, p.outAvals);
    return r[1];
  });
}

/** customVjp: the cotangent map `ct ↦ bwd(res, ct)`, output leaves to operand leaves. */
function cotangentMap(p: CustomParams, residuals: unknown, primals: ReadonlyArray<Tensor>): (cts: ReadonlyArray<Tensor>) => Tensor[] {
  const owner = `${p.owner} bwd`;
  const nDiff = p.shape.diff.filter(Boolean).length;
  return (cts) =>
    forbidding(owner, p.shape, [...tensorsIn(residuals), ...cts], () => {
      const r = p.bwd!(residuals, unflatten(p.outDef, cts));
      if (!Array.isArray(r) || r.length !== nDiff) {
        throw new ShapeError(
          'TREE_MISMATCH',
          owner,
          `bwd returned ${Array.isArray(r) ? `${r.length} cotangents` : 'a non-array'} but the function has ${nDiff} differentiable argument(s); return an array with one cotangent per differentiable argument`,
        );
      }
      let at = 0;
      return r.flatMap((ct: unknown, j) => {
        const i = p.shape.diff.map((d, k) => (d ? k : -1)).filter((k) => k >= 0)[j]!;
        const avals = primals.slice(at, (at += p.shape.counts[i]!)).map(avalOf);
        return leavesLike(owner, `the cotangent of argument ${i}`, ct, p.shape.defs[i]!, avals);
      });
    });
}

export const customJvpP: MultiRule<CustomParams> = {
  batch: (args, dims, params, size) => liftBatch(customJvpP)(args, dims, params, size),
  name: 'customJvp',
  multipleResults: true,
  examples: [],
  describeParams: (p) => `[${p.owner}]`,
  shape: (_args, p) => p.outAvals,
  impl: (args, p) => runF(p, args),
  jvp: (primals, tangents, _ans, p) => tangentMap(p, primals)(tangents.map((t, i) => materialize(t, primals[i]!))),
  vjp: (cts, primals, ans, p) =>
    transpose(
      `${p.owner} jvp rule`,
      'the tangent map of the jvp rule',
      tangentMap(p, primals),
      probePoint(primals.map(avalOf)),
      cts.map((c, i) => materialize(c, ans[i]!)),
    ),
};

export const customVjpP: MultiRule<CustomParams> = {
  batch: (args, dims, params, size) => liftBatch(customVjpP)(args, dims, params, size),
  name: 'customVjp',
  multipleResults: true,
  examples: [],
  describeParams: (p) => `[${p.owner}]`,
  shape: (_args, p) => p.outAvals,
  impl: (args, p) => runF(p, args),
  // forward mode: the transpose of the (linear) cotangent map
  jvp: (primals, tangents, _ans, p) =>
    transpose(
      `${p.owner} bwd`,
      'the cotangent map of bwd',
      cotangentMap(p, residualsAt(p, primals), primals),
      probePoint(p.outAvals),
      tangents.map((t, i) => materialize(t, primals[i]!)),
    ),
  vjp: (cts, primals, ans, p) => cotangentMap(p, residualsAt(p, primals), primals)(cts.map((c, i) => materialize(c, ans[i]!))),
};

/**
 * A rule that declares one parameter gets the wrong value in it (it is called with two), silently:
 * refused, like one that declares more than two. `Function.length` is 0 for rest parameters and
 * stops at the first parameter with a default, so 0 is allowed.
 */
function checkTwoParameters(op: string, param: string, rule: (...args: never[]) => unknown, call: string, one: string, more: string): void {
  const n = rule.length;
  if (n === 1 || n > 2) {
    throw new ArgumentError('INVALID_ARGUMENT', op, `${param} declares ${n} parameter${n === 1 ? '' : 's'} but is called as ${call}: ${n === 1 ? one : more}; declare both parameters`);
  }
}

function parseNondiff(op: string, options: unknown): Set<number> {
  const o = parseOptions(op, 'options', options, ['nondiffArgnums']);
  if (o.nondiffArgnums === undefined) return new Set();
  if (!Array.isArray(o.nondiffArgnums)) throw new ArgumentError('INVALID_ARGUMENT', op, 'options.nondiffArgnums must be an array of argument positions');
  const set = new Set<number>();
  for (const n of o.nondiffArgnums) {
    const i = parseInteger(op, 'options.nondiffArgnums', n, { min: 0 });
    if (set.has(i)) throw new ArgumentError('INVALID_ARGUMENT', op, `options.nondiffArgnums lists ${i} twice`);
    set.add(i);
  }
  return set;
}

/** The call of a custom-rule function: probe `f` (closures refused), then one equation. */
function customCall(
  prim: MultiRule<CustomParams>,
  owner: string,
  nondiff: ReadonlySet<number>,
  rules: Pick<CustomParams, 'f' | 'jvpRule' | 'fwd' | 'bwd'>,
  args: ReadonlyArray<unknown>,
): unknown {
  for (const i of nondiff) {
    if (i >= args.length) throw new ArgumentError('ARGNUMS_OUT_OF_RANGE', owner, `nondiffArgnums lists ${i} but the function was called with ${args.length} argument(s)`);
  }
  if (!tracesOpen()) return rules.f(...args);
  for (const i of nondiff) {
    const t = tracedIn(args[i]);
    if (t !== undefined) {
      throw new ArgumentError(
        'INVALID_ARGUMENT',
        owner,
        `argument ${i} is listed in nondiffArgnums but holds a value of shape ${formatShape(t.shape)} traced by ${traceOf(t)!.transform}: ` +
          'arguments in nondiffArgnums are passed to f and the rules as they are and have no derivative, so they cannot be differentiated (or batched by vmap); ' +
          `to differentiate it, remove ${i} from nondiffArgnums and give its derivative in the rule (${owner === 'customJvp' ? 'its tangent in jvpRule' : 'its cotangent among those bwd returns'})`,
      );
    }
  }
  const [shape, operands] = splitArgs(owner, args, nondiff);
  const concrete = operands.map((x) => probeValue(x));
  const out = forbidding(owner, shape, concrete, () => rules.f(...rebuild(shape, concrete)));
  const { leaves, def: outDef } = flatten(owner, out);
  const outputs = leaves.map((l) => asTensor(owner, l));
  const params: CustomParams = { owner, shape, outDef, outAvals: outputs.map(avalOf), probe: { operands: concrete, outputs }, ...rules };
  return unflatten(outDef, bindMulti(prim, operands, params));
}

/**
 * A function with a custom forward-mode rule: `jvpRule(primals, tangents)` returns
 * `[primalOut, tangentOut]`, where `primals` and `tangents` are the argument lists (`undefined`
 * tangents for `nondiffArgnums`). Reverse mode transposes the tangent map (checked to be linear), so
 * `grad`, `vjp`, `jacrev` and `hessian` work too. Use it for stabler or cheaper derivatives.
 *
 * `customJvp : (f, jvpRule, { nondiffArgnums }) => f'`
 *
 * Errors: `CLOSED_OVER_TRACER` if `f` or the rule closes over a traced value; `TREE_MISMATCH` if the
 * rule's outputs do not match `f`'s; `NONLINEAR_RULE` if the tangent map is not linear; `INVALID_ARGUMENT`
 * for non-functions, a `jvpRule` declaring one parameter (or more than two), bad options
 * (`UNKNOWN_OPTION` for unknown keys), or a transform tracing an argument in `nondiffArgnums`;
 * `TENSOR_COERCION` naming the rule (and `nondiffArgnums`, when a number argument is the cause) if a
 * rule uses a tensor as a JavaScript number.
 *
 * @example
 * import { customJvp, grad, log1p, exp, sigmoid, mul, item } from 'adjoint'
 * // softplus(x) = log(1 + eˣ) overflows at large x; its derivative sigmoid(x) does not
 * const softplus = customJvp((x) => log1p(exp(x)), ([x], [t]) => [log1p(exp(x)), mul(sigmoid(x), t)])
 * assert.equal(item(grad(softplus)(1000)), 1)
 *
 * @category transforms
 * @since 0.1.0
 */
export function customJvp<
  A extends unknown[],
  R,
  const O extends CustomRuleOptions = {},
  J = unknown,
>(
  f: (...args: A) => R,
  jvpRule: ((primals: A, tangents: ArgTangents<A, NondiffOf<O>>) => readonly [unknown, unknown]) &
    J &
    NoInfer<TwoParameters<J, 'jvpRule must declare two parameters: (primals, tangents) => [primalOut, tangentOut]'>>,
  options?: O,
): (...args: A) => R {
  checkArity('customJvp', arguments.length, 3, 'customJvp(f, jvpRule, options?)');
  parseFunction('customJvp', 'f', f);
  parseFunction('customJvp', 'jvpRule', jvpRule);
  checkTwoParameters(
    'customJvp',
    'jvpRule',
    jvpRule,
    'jvpRule(primals, tangents)',
    'with one parameter it ignores the tangents, so its tangent output cannot be linear in them',
    'parameters after the second are always undefined (arguments in nondiffArgnums are among the primals, with an undefined tangent)',
  );
  const nondiff = parseNondiff('customJvp', options);
  const rules = { f: f as (...a: unknown[]) => unknown, jvpRule: jvpRule as unknown as CustomParams['jvpRule'] };
  return ((...args: unknown[]) => customCall(customJvpP, 'customJvp', nondiff, rules, args)) as (...args: A) => R;
}

/**
 * A function with a custom reverse-mode rule: `fwd(...args)` returns `[output, residuals]`,
 * `bwd(residuals, ct)` returns one cotangent per differentiable argument (pytrees like the
 * arguments; `nondiffArgnums` are skipped). Forward mode transposes `bwd` (checked to be linear in
 * `ct`), so `jvp`, `jacfwd`, `hessian` and `hvp` work on functions that define only a vjp. `fwd`
 * runs when the pullback runs, on the values the outer transforms see, so a rule is differentiated
 * correctly at any order.
 *
 * `customVjp : (f, fwd, bwd, { nondiffArgnums }) => f'`
 *
 * Errors: `CLOSED_OVER_TRACER` if `f`, `fwd` or `bwd` closes over a traced value; `TREE_MISMATCH` if
 * `fwd`'s output does not match `f`'s or `bwd` returns the wrong number, structure or shapes of
 * cotangents; `NONLINEAR_RULE` if `bwd` is not linear in `ct` (found when forward mode transposes it);
 * `INVALID_ARGUMENT` for a `bwd` declaring one parameter (it would take the residuals for `ct`) or
 * more than two, or a transform tracing an argument in `nondiffArgnums`; `TENSOR_COERCION` as for
 * `customJvp`.
 *
 * @example
 * import { customVjp, grad, jvp, mul, cos, sin, item } from 'adjoint'
 * const mySin = customVjp((x) => sin(x), (x) => [sin(x), x], (x, ct) => [mul(ct, cos(x))])
 * assert.equal(item(grad(mySin)(0)), 1)
 * assert.equal(item(jvp(mySin, [0], [2])[1]), 2)
 *
 * @category transforms
 * @since 0.1.0
 */
export function customVjp<
  A extends unknown[],
  R,
  Res,
  const O extends CustomRuleOptions = {},
  B = unknown,
>(
  f: (...args: A) => R,
  fwd: (...args: A) => readonly [R, Res],
  bwd: ((residuals: Res, ct: Cotangent<R>) => DiffCotangents<A, NondiffOf<O>>) & B & NoInfer<TwoParameters<B, 'bwd must declare two parameters: (residuals, ct) => cotangents'>>,
  options?: O,
): (...args: A) => R {
  checkArity('customVjp', arguments.length, 4, 'customVjp(f, fwd, bwd, options?)');
  parseFunction('customVjp', 'f', f);
  parseFunction('customVjp', 'fwd', fwd);
  parseFunction('customVjp', 'bwd', bwd);
  checkTwoParameters(
    'customVjp',
    'bwd',
    bwd,
    'bwd(residuals, ct)',
    'with one parameter it takes the residuals for the cotangent, and would return them as the gradient',
    'parameters after the second are always undefined (values in nondiffArgnums reach bwd through the residuals fwd returns)',
  );
  const nondiff = parseNondiff('customVjp', options);
  const rules = {
    f: f as (...a: unknown[]) => unknown,
    fwd: fwd as unknown as CustomParams['fwd'],
    bwd: bwd as unknown as CustomParams['bwd'],
  };
  return ((...args: unknown[]) => customCall(customVjpP, 'customVjp', nondiff, rules, args)) as (...args: A) => R;
}
