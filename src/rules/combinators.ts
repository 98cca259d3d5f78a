/**
 * Combinators that build primitive rows, so that most rows in the rules tables are one line:
 * unary-from-derivative, binary-from-partials, linear, and zero-derivative. Derivative rules are
 * written with the library's own ops, so under an outer transform they are recorded too: that is the
 * whole mechanism behind grad-of-grad.
 *
 * Chain-rule products are IEEE products: a 0 · ∞ from an overflow gives NaN, never a finite wrong
 * answer. Zeros that are zero by structure (the branch `where` did not select, the zeros of a
 * one-hot seed) travel as masks beside the (co)tangent, and the engine keeps those positions exactly
 * 0 through every row marked `maskKind: 'elementwise'` (see core/masks.ts). That is what makes
 * `grad(x => where(greater(x, 0), sqrt(x), 0))` at -1 equal 0 instead of NaN.
 *
 * @since 0.1.0
 */
import { broadcastShapes, sameShape } from '../core/shape.js';
import { batchElementwise, batchLeading, batchReduction } from '../core/batching.js';
import type { AbstractValue, Primitive } from '../core/primitive.js';
import { type Domain, type Example, MAX_RULES, partialKindTable, type Rule, ruleTable, type ScalarPartial } from '../core/rule.js';
import { mapBinary, mapUnary, promote } from '../core/kernels.js';
import type { Tensor } from '../core/Tensor.js';
import { type Tangent, Zero, isZero } from '../core/zero.js';

/**
 * Partials the reverse pass knows without calling them: the constants ±1 and "the other operand"
 * (the partials of add, sub, neg and mul). The engine reads `partialKindTable` and applies these
 * inline; any other partial is called.
 */
export const Partial = {
  one: (() => 1) as ScalarPartial,
  minusOne: (() => -1) as ScalarPartial,
  /** d(x·y)/dx = y */
  y: ((_x: number, y: number) => y) as ScalarPartial,
  /** d(x·y)/dy = x */
  x: ((x: number) => x) as ScalarPartial,
  /** A derivative that is zero by structure (sign, comparisons): nothing flows back, as the tensor rule's `Zero`. */
  zero: (() => 0) as ScalarPartial,
} as const;

/** Kernels the engine applies inline on numbers (`Rule.implKind`) instead of calling them. */
export const ScalarImpl = {
  add: (x: number, y: number): number => x + y,
  sub: (x: number, y: number): number => x - y,
  mul: (x: number, y: number): number => x * y,
} as const;

/** `partialKindTable` codes: 0 call the partial, 1 one, 2 minus one, 3 y, 4 x, 5 zero by structure. */
function partialKind(p: ScalarPartial | undefined): number {
  return p === Partial.one ? 1 : p === Partial.minusOne ? 2 : p === Partial.y ? 3 : p === Partial.x ? 4 : p === Partial.zero ? 5 : 0;
}

/**
 * What a rules file writes for a row; `rule()` adds the `id` and `implKind`. `batch` may name a
 * standard batching rule instead of giving one: `'elementwise'` (broadcasting operands),
 * `'reduction'` (a reduction over `axes`) or `'leading'` (a row batched over leading axes already).
 */
export type RuleSpec<P> = Omit<Rule<P>, 'id' | 'implKind' | 'batch'> & { readonly batch?: Rule<P>['batch'] | 'elementwise' | 'reduction' | 'leading' };

/**
 * Makes a row. Every row goes through here so all rows share one object layout: the engine reads
 * `scalarImpl`, `vjp`, ... on every op, and uniform layouts keep those reads monomorphic.
 */
export function rule<P>(spec: RuleSpec<P>): Rule<P> {
  const row: Rule<P> = {
    id: ruleTable.length,
    name: spec.name,
    examples: spec.examples,
    shape: spec.shape,
    impl: spec.impl,
    jvp: spec.jvp,
    vjp: spec.vjp,
    scalarImpl: spec.scalarImpl,
    scalarPartials: spec.scalarPartials,
    maskKind: spec.maskKind,
    batch: undefined,
    implKind: spec.scalarImpl === ScalarImpl.add ? 1 : spec.scalarImpl === ScalarImpl.sub ? 2 : spec.scalarImpl === ScalarImpl.mul ? 3 : 0,
  };
  const b = spec.batch;
  (row as { batch?: Rule<P>['batch'] }).batch =
    b === 'elementwise'
      ? (args, dims, params) => batchElementwise(row as Primitive<unknown>, args, dims, params)
      : b === 'reduction'
        ? (args, dims, params) => batchReduction(row as unknown as Primitive<{ readonly axes: ReadonlyArray<number> }>, args, dims, params as unknown as { readonly axes: ReadonlyArray<number> })
        : b === 'leading'
          ? (args, dims, params, size) => batchLeading(row as Primitive<unknown>, args, dims, params, size)
          : b;
  if (row.id >= MAX_RULES) throw new Error(`adjoint internal: more than ${MAX_RULES} primitives; raise MAX_RULES`);
  partialKindTable[2 * row.id] = partialKind(spec.scalarPartials?.[0]);
  partialKindTable[2 * row.id + 1] = partialKind(spec.scalarPartials?.[1]);
  ruleTable.push(row as Rule<unknown>);
  return row;
}

/** Options of the elementwise combinators: the sample domain and the numeric derivative. */
export interface UnaryOptions {
  readonly domain?: Domain;
  /** d ans / dx as plain numbers, `(x, _, ans) => ...` (see `Rule.scalarPartials`). */
  readonly scalar?: ScalarPartial;
}
export interface BinaryOptions {
  readonly domains?: readonly [Domain, Domain];
  /** Sample calls besides the standard shape pairs (fixed values where the rule has a special case). */
  readonly examples?: ReadonlyArray<Example<void>>;
  /** The partials as plain numbers (see `Rule.scalarPartials`). */
  readonly scalar?: readonly [(x: number, y: number, ans: number) => number, (x: number, y: number, ans: number) => number];
}

const UNARY_SHAPES = [[], [3], [2, 3]];
// Every broadcasting pattern: equal shapes, a missing leading axis, size-1 axes on both sides, a
// 0-d operand, and an operand that both lacks leading axes and has a size-1 axis (either side), which
// is the case where undoing broadcasting must offset the axes it sums by the rank difference.
const BINARY_SHAPES = [
  [[], []],
  [[2, 3], [2, 3]],
  [[2, 3], [3]],
  [[2, 1], [1, 3]],
  [[], [3]],
  [[3, 1], [2, 3, 3]],
  [[2, 1, 3], [3, 1]],
];

function unaryExamples(domain: Domain): ReadonlyArray<Example<void>> {
  return UNARY_SHAPES.map((shape) => ({ args: [{ shape, domain }], params: undefined }));
}

function binaryExamples(domains: readonly [Domain, Domain]): ReadonlyArray<Example<void>> {
  return BINARY_SHAPES.map(([a, b]) => ({ args: [{ shape: a!, domain: domains[0] }, { shape: b!, domain: domains[1] }], params: undefined }));
}

/**
 * The two ops the combinators' derivative rules use. They live in `elementwise.ts`, which builds
 * its rows with this module; taking them through `installOps` (called once by `elementwise.ts` as it
 * loads) keeps the two modules out of an import cycle, so either can be loaded first.
 */
interface CombinatorOps {
  readonly add: (x: Tensor, y: Tensor) => Tensor;
  readonly mul: (x: Tensor, y: Tensor) => Tensor;
}
let ops: CombinatorOps | undefined;

/** @internal Called by `elementwise.ts`. */
export function installOps(o: CombinatorOps): void {
  ops = o;
}

const add = (x: Tensor, y: Tensor): Tensor => ops!.add(x, y);
const mul = (x: Tensor, y: Tensor): Tensor => ops!.mul(x, y);

/** Sum of tangents where `Zero` is the identity. */
export function addTangents(a: Tangent, b: Tangent): Tangent {
  if (isZero(a)) return b;
  if (isZero(b)) return a;
  return add(a, b);
}

// A function declaration, not a const: rules files and this one import each other, and hoisting
// keeps the rows valid whichever module loads first.
function sameShapeRule(args: ReadonlyArray<AbstractValue>): AbstractValue {
  return args[0]!;
}

/**
 * A unary elementwise primitive from its kernel and its derivative `d(x, ans)` (written with ops; use
 * `ans` when the derivative reuses the output, as for exp and tanh).
 */
export function unary(name: string, f: (v: number) => number, derivative: (x: Tensor, ans: Tensor) => Tensor, options: UnaryOptions = {}): Rule<void> {
  const d = options.scalar;
  return rule({
    name,
    examples: unaryExamples(options.domain ?? 'real'),
    ...(d === undefined ? {} : { scalarPartials: [d] as const, scalarImpl: f }),
    maskKind: 'elementwise',
    batch: 'elementwise',
    shape: sameShapeRule,
    impl: (args, _p, out) => mapUnary(args[0]!, out.dtype, f, name),
    jvp: (primals, tangents, ans) => mul(tangents[0] as Tensor, derivative(primals[0]!, ans)),
    vjp: (ct, primals, ans) => [mul(ct, derivative(primals[0]!, ans))],
  });
}

/** A unary elementwise primitive that is linear, `f(x) = scale · x`: its jvp and vjp are the op itself (e.g. `neg`). */
export function unaryLinear(name: string, f: (v: number) => number, self: (x: Tensor) => Tensor, scale: number): Rule<void> {
  return rule({
    name,
    scalarPartials: [scale === -1 ? Partial.minusOne : scale === 1 ? Partial.one : () => scale],
    scalarImpl: f,
    examples: unaryExamples('real'),
    maskKind: 'elementwise',
    batch: 'elementwise',
    shape: sameShapeRule,
    impl: (args, _p, out) => mapUnary(args[0]!, out.dtype, f, name),
    jvp: (_primals, tangents) => self(tangents[0] as Tensor),
    vjp: (ct) => [self(ct)],
  });
}

/** A unary elementwise primitive whose derivative is zero everywhere it exists (e.g. `sign`). */
export function unaryZero(name: string, f: (v: number) => number): Rule<void> {
  return rule({
    name,
    scalarPartials: [Partial.zero],
    scalarImpl: f,
    batch: 'elementwise',
    examples: unaryExamples('awayFromZero'),
    shape: sameShapeRule,
    impl: (args, _p, out) => mapUnary(args[0]!, out.dtype, f, name),
    jvp: () => Zero,
    vjp: () => [Zero],
  });
}

/** Shape rule of every broadcasting binary elementwise op; the fast path skips broadcasting. */
/** Examples for hand-written binary rows. */
export { binaryExamples };

export function binaryShape(name: string): (args: ReadonlyArray<AbstractValue>) => AbstractValue {
  return (args) => {
    const a = args[0]!;
    const b = args[1]!;
    if (a.dtype === b.dtype && sameShape(a.shape, b.shape)) return a;
    return { shape: broadcastShapes(name, a.shape, b.shape), dtype: promote(a.dtype, b.dtype) };
  };
}

/** The partial derivatives of a binary op, each evaluated only when needed. */
export type Partials = readonly [(x: Tensor, y: Tensor, ans: Tensor) => Tensor, (x: Tensor, y: Tensor, ans: Tensor) => Tensor];

/** A broadcasting binary elementwise primitive from its kernel and partial derivatives. */
export function binary(
  name: string,
  f: (x: number, y: number) => number,
  partials: Partials,
  options: BinaryOptions = {},
): Rule<void> {
  const [dx, dy] = partials;
  const sp = options.scalar;
  return rule({
    name,
    examples: [...binaryExamples(options.domains ?? ['real', 'real']), ...(options.examples ?? [])],
    ...(sp === undefined ? {} : { scalarPartials: sp, scalarImpl: f }),
    maskKind: 'elementwise',
    batch: 'elementwise',
    shape: binaryShape(name),
    impl: (args, _p, out) => mapBinary(args[0]!, args[1]!, out.shape, out.dtype, f, name),
    jvp: ([x, y], [xDot, yDot], ans) =>
      addTangents(
        isZero(xDot) ? Zero : mul(xDot!, dx(x!, y!, ans)),
        isZero(yDot) ? Zero : mul(yDot!, dy(x!, y!, ans)),
      ),
    vjp: (ct, [x, y], ans, _p, wants) => [
      wants[0] ? mul(ct, dx(x!, y!, ans)) : Zero,
      wants[1] ? mul(ct, dy(x!, y!, ans)) : Zero,
    ],
  });
}

/** A binary comparison: a 0/1 mask with zero derivative. */
export function comparison(name: string, f: (x: number, y: number) => boolean): Rule<void> {
  return rule({
    name,
    scalarPartials: [Partial.zero, Partial.zero],
    scalarImpl: (x, y) => (f(x, y) ? 1 : 0),
    batch: 'elementwise',
    examples: binaryExamples(['real', 'real']),
    shape: binaryShape(name),
    impl: (args, _p, out) => mapBinary(args[0]!, args[1]!, out.shape, out.dtype, (x, y) => (f(x, y) ? 1 : 0), name),
    jvp: () => Zero,
    vjp: () => [Zero, Zero],
  });
}
