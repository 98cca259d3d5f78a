/**
 * `checkGrads`: a public gradient checker users can point at their own functions. Forward mode is
 * checked against central finite differences along random directions, and forward against reverse
 * mode through the dot-product identity `<u, J v> = <Jᵀ u, v>` with random `u`, `v`; at order n the
 * same checks run on the derivative functions themselves (`x ↦ J(x) v` and `x ↦ J(x)ᵀ u`).
 *
 * Directions come from a fixed random key (option `seed`), so a check is reproducible.
 *
 * @since 0.1.0
 */
import { checkArity, invalidArgument, parseEnum, parseFunction, parseInteger, parseNumber, parseOptions } from '../core/args.js';
import { ArgumentError, GradCheckError } from '../core/errors.js';
import { normal, key as makeKey, split, type Key } from '../core/random.js';
import { dataOf, type Tensor } from '../core/Tensor.js';
import { asTensor } from '../core/creation.js';
import { flatten, type Leaf, unflatten } from '../core/Tree.js';
import { jvpAs, vjpAs } from './transforms.js';
import { add, mul, sub, div } from '../rules/elementwise.js';

/**
 * Options of `checkGrads`.
 *
 * @category transforms
 * @since 0.1.0
 */
export interface CheckGradsOptions {
  /** Derivative order to check: an integer from 1 (the default) to 4. */
  readonly order?: number;
  /** Which modes to check (default both): `fwd` against finite differences, `rev` through the dot-product identity. */
  readonly modes?: ReadonlyArray<'fwd' | 'rev'>;
  /** Finite-difference step (default 1e-5 for float64, 1e-2 for float32). */
  readonly eps?: number;
  /** Relative tolerance of the finite-difference comparison (default 1e-6; 1e-2 for float32). */
  readonly rtol?: number;
  /** Absolute tolerance of the finite-difference comparison (default 1e-6; 1e-2 for float32). */
  readonly atol?: number;
  /** Relative tolerance of the dot-product identity between modes (default 1e-10; 1e-5 for float32). */
  readonly dotRtol?: number;
  /** Seed of the random directions (default 0). */
  readonly seed?: number;
}

/**
 * What a passing check measured.
 *
 * @category transforms
 * @since 0.1.0
 */
export interface CheckGradsReport {
  /** Number of comparisons made. */
  readonly checks: number;
  /** Largest relative error seen by a finite-difference comparison. */
  readonly maxFiniteDifferenceError: number;
  /** Largest relative error seen by a dot-product identity. */
  readonly maxDotProductError: number;
}

type Fn = (...args: never[]) => unknown;

interface Ctx {
  readonly eps: number;
  readonly rtol: number;
  readonly atol: number;
  readonly dotRtol: number;
  readonly modes: ReadonlyArray<'fwd' | 'rev'>;
  readonly maxOrder: number;
  keys: Key;
  checks: number;
  fdMax: number;
  dotMax: number;
}

function nextKey(ctx: Ctx): Key {
  const [a, b] = split(ctx.keys, 2);
  ctx.keys = a!;
  return b!;
}

/** The transforms inside name checkGrads in their errors, the function the user called. */
const OP = 'checkGrads';

const leavesOf = (tree: unknown): Tensor[] => flatten('checkGrads', tree).leaves.map((l) => asTensor('checkGrads', l));

/** A random tree shaped like `tree`. */
function randomLike(ctx: Ctx, tree: unknown): unknown {
  const { leaves, def } = flatten('checkGrads', tree);
  return unflatten(
    def,
    leaves.map((l): Leaf => {
      const t = asTensor('checkGrads', l);
      return normal(nextKey(ctx), t.shape, { dtype: t.dtype });
    }),
  );
}

function vdot(a: ReadonlyArray<Tensor>, b: ReadonlyArray<Tensor>): number {
  let s = 0;
  a.forEach((x, i) => {
    const p = dataOf(x);
    const q = dataOf(b[i]!);
    for (let j = 0; j < p.length; j++) s += p[j]! * q[j]!;
  });
  return s;
}

function scaleOf(a: ReadonlyArray<Tensor>, b: ReadonlyArray<Tensor>): number {
  return Math.sqrt(vdot(a, a) * vdot(b, b));
}

/** `args + t * v`, leaf by leaf, with plain (untraced) ops. */
function shift(args: ReadonlyArray<unknown>, dirs: ReadonlyArray<unknown>, t: number): unknown[] {
  return args.map((a, i) => {
    const { leaves, def } = flatten('checkGrads', a);
    const d = leavesOf(dirs[i]);
    return unflatten(def, leaves.map((l, j) => add(l, mul(d[j]!, t))));
  });
}

/** Checks `f` (the `order`-th derivative of the user's function) and recurses until `ctx.maxOrder`. */
function checkOnce(ctx: Ctx, f: Fn, args: ReadonlyArray<unknown>, order: number): void {
  const call = f as (...a: unknown[]) => unknown;
  const v = args.map((a) => randomLike(ctx, a));
  const fwd = ctx.modes.includes('fwd');
  const [out, tangent] = fwd ? jvpAs(OP, call, [...args], v, undefined) : [call(...args), undefined];
  const tangentLeaves = fwd ? leavesOf(tangent) : [];
  const outLeaves = leavesOf(out);
  if (fwd) {
    const plus = leavesOf(call(...shift(args, v, ctx.eps)));
    const minus = leavesOf(call(...shift(args, v, -ctx.eps)));
    // every element is compared; a failure reports the worst one
    let worst: { rel: number; k: number; j: number; an: number; fd: number } | undefined;
    plus.forEach((p, k) => {
      const fd = dataOf(div(sub(p, minus[k]!), 2 * ctx.eps));
      const an = dataOf(tangentLeaves[k]!);
      for (let j = 0; j < fd.length; j++) {
        ctx.checks++;
        const err = Math.abs(an[j]! - fd[j]!);
        const rel = err / (ctx.atol + ctx.rtol * Math.abs(fd[j]!));
        if (!(rel <= 1) && (worst === undefined || !(rel <= worst.rel))) worst = { rel, k, j, an: an[j]!, fd: fd[j]! };
        ctx.fdMax = Math.max(ctx.fdMax, err / Math.max(Math.abs(fd[j]!), ctx.atol));
      }
    });
    if (worst !== undefined) {
      const { k, j, an, fd } = worst;
      const err = Math.abs(an - fd);
      throw new GradCheckError(
        `order ${order}: jvp disagrees with central finite differences, worst at output leaf ${k}, element ${j}: ` +
          `jvp gives ${an}, finite differences give ${fd} (|difference| ${err.toExponential(3)} exceeds atol ${ctx.atol} + rtol ${ctx.rtol} * |fd|); ` +
          'check the jvp rule of the ops involved, or loosen eps/rtol for a badly conditioned function',
        err / Math.max(Math.abs(fd), 1e-300),
        `order ${order}, jvp vs finite differences, output leaf ${k}, element ${j}`,
      );
    }
  }
  if (ctx.modes.includes('rev')) {
    const u = outLeaves.map((o) => normal(nextKey(ctx), o.shape, { dtype: o.dtype }));
    const [, pullback] = vjpAs(OP, call, args);
    const flatOut = flatten('checkGrads', out);
    const cts = pullback(unflatten(flatOut.def, u));
    const vLeaves = v.flatMap((t) => leavesOf(t));
    const ctLeaves = cts.flatMap((t: unknown) => leavesOf(t));
    const lhs = fwd ? vdot(u, tangentLeaves) : fdDirectional(ctx, call, args, v, u);
    const rhs = vdot(ctLeaves, vLeaves);
    // forward vs reverse is exact up to rounding, scaled by the vectors' norms; finite differences
    // vs reverse uses the finite-difference tolerances
    const scale = fwd ? Math.max(scaleOf(u, tangentLeaves), scaleOf(ctLeaves, vLeaves), 1e-300) : Math.max(Math.abs(lhs), ctx.atol / ctx.rtol);
    const rel = Math.abs(lhs - rhs) / scale;
    ctx.checks++;
    const tol = fwd ? ctx.dotRtol : ctx.rtol;
    if (!(rel <= tol)) {
      const what = fwd ? 'the dot-product identity <u, J v> = <Jᵀ u, v>' : '<u, finite-difference J v> = <Jᵀ u, v>';
      const blame = fwd ? 'the vjp rule of an op involved does not transpose its jvp rule' : 'check the vjp rule of the ops involved';
      throw new GradCheckError(
        `order ${order}: ${what} fails: ${lhs} (${fwd ? 'forward' : 'finite differences'}) vs ${rhs} (reverse), relative error ${rel.toExponential(3)} > ${tol}; ${blame}`,
        rel,
        `order ${order}, ${fwd ? 'dot-product identity' : 'reverse mode vs finite differences'}`,
      );
    }
    ctx.dotMax = Math.max(ctx.dotMax, rel);
    if (order < ctx.maxOrder) checkOnce(ctx, (...xs: unknown[]) => vjpAs(OP, call, xs)[1](unflatten(flatOut.def, u)), args, order + 1);
  }
  if (fwd && order < ctx.maxOrder) checkOnce(ctx, (...xs: unknown[]) => jvpAs(OP, call, xs, v, undefined)[1], args, order + 1);
}

/** `<u, (f(x + εv) - f(x - εv)) / 2ε>`, for checking reverse mode alone. */
function fdDirectional(ctx: Ctx, f: (...a: unknown[]) => unknown, args: ReadonlyArray<unknown>, v: ReadonlyArray<unknown>, u: ReadonlyArray<Tensor>): number {
  const plus = leavesOf(f(...shift(args, v, ctx.eps)));
  const minus = leavesOf(f(...shift(args, v, -ctx.eps)));
  return vdot(u, plus.map((p, k) => div(sub(p, minus[k]!), 2 * ctx.eps)));
}

/**
 * Checks `f`'s derivatives at `args` to the given order; throws a `GradCheckError` with the largest
 * discrepancy and where it occurred, or returns what it measured.
 *
 * @example
 * import { checkGrads, sin, mul, tensor } from 'adjoint'
 * const report = checkGrads((x) => mul(sin(x), x), [tensor([0.5, 1.5])], { order: 2 })
 * assert.ok(report.checks > 0)
 *
 * @category transforms
 * @since 0.1.0
 */
export function checkGrads(f: Fn, args: ReadonlyArray<unknown>, options?: CheckGradsOptions): CheckGradsReport {
  const op = 'checkGrads';
  checkArity(op, arguments.length, 3, 'checkGrads(f, args, options?)');
  const fn = parseFunction<Fn>(op, 'f', f);
  if (!Array.isArray(args)) invalidArgument(op, 'args', args, 'pass an array with one entry per argument of f: checkGrads(f, [x])');
  const o = parseOptions(op, 'options', options, ['order', 'modes', 'eps', 'rtol', 'atol', 'dotRtol', 'seed']);
  checkFinitePoint(args);
  const f32 = args.some((a) => leavesOf(a).some((t) => t.dtype === 'float32'));
  const positive = (name: string, v: unknown, fallback: number, allowZero: boolean): number => {
    if (v === undefined) return fallback;
    const x = parseNumber(op, name, v);
    if (x < 0 || (x === 0 && !allowZero)) invalidArgument(op, name, v, `pass a ${allowZero ? 'non-negative' : 'positive'} finite number`);
    return x;
  };
  const ctx: Ctx = {
    eps: positive('eps', o.eps, f32 ? 1e-2 : 1e-5, false),
    rtol: positive('rtol', o.rtol, f32 ? 1e-2 : 1e-6, true),
    atol: positive('atol', o.atol, f32 ? 1e-2 : 1e-6, true),
    dotRtol: positive('dotRtol', o.dotRtol, f32 ? 1e-5 : 1e-10, true),
    modes: parseModes(op, o.modes),
    maxOrder: o.order === undefined ? 1 : parseInteger(op, 'order', o.order, { min: 1, max: MAX_ORDER }),
    keys: makeKey(o.seed === undefined ? 0 : parseInteger(op, 'seed', o.seed)),
    checks: 0,
    fdMax: 0,
    dotMax: 0,
  };
  checkOnce(ctx, fn, args, 1);
  return Object.freeze({ checks: ctx.checks, maxFiniteDifferenceError: ctx.fdMax, maxDotProductError: ctx.dotMax });
}

/**
 * Refuses a point with a NaN or ±Infinity (`NON_FINITE`): finite differences there are NaN or
 * meaningless, and the check would blame a rule for it.
 */
function checkFinitePoint(args: ReadonlyArray<unknown>): void {
  args.forEach((a, i) => {
    leavesOf(a).forEach((t, j, all) => {
      const data = dataOf(t);
      for (let k = 0; k < data.length; k++) {
        if (!Number.isFinite(data[k])) {
          throw new ArgumentError(
            'NON_FINITE',
            OP,
            `element ${k} of argument ${i}${all.length > 1 ? ` (its leaf ${j})` : ''} is ${data[k]}; derivatives are checked at a finite point (finite differences there would be NaN): pass finite values`,
          );
        }
      }
    });
  });
}

/**
 * The highest order checked. Each order nests one more transform around the last (the work grows
 * about geometrically), and finite differences of high derivatives carry little precision anyway.
 */
const MAX_ORDER = 4;

/** `modes`: a non-empty array of distinct 'fwd' and 'rev'. */
function parseModes(op: string, v: unknown): ReadonlyArray<'fwd' | 'rev'> {
  if (v === undefined) return ['fwd', 'rev'];
  const want = "pass a non-empty array of 'fwd' and 'rev' (each at most once)";
  if (!Array.isArray(v) || v.length === 0 || v.length > 2) invalidArgument(op, 'modes', v, want);
  const modes = Array.from({ length: v.length }, (_, i) => parseEnum(op, `modes[${i}]`, v[i], ['fwd', 'rev'] as const));
  if (modes.length === 2 && modes[0] === modes[1]) invalidArgument(op, 'modes', v, want);
  return modes;
}
