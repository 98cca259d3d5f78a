/**
 * Optimizers as pure gradient transformations, in the style of optax: each is a pair
 * `{ init(params), update(grads, state, params) }` where `update` returns `[updates, newState]`, and
 * `applyUpdates(params, updates)` adds the updates to the parameters. Nothing is mutated: the state is
 * a frozen pytree (moments shaped like the parameters, a 0-d step count), and a training loop threads
 * parameters and state through as values.
 *
 * Every update is written with the library's ops, so it can itself be differentiated: a learning
 * rate passed as a 0-d tensor may be traced by `grad`, which gives the meta-gradient of a loss after
 * a few unrolled steps with respect to the learning rate (see the tests).
 *
 * Exported as the namespace `optim`: `optim.adam(1e-3)`.
 *
 * @since 0.1.0
 */
import { asTensor, zerosLike } from '../core/creation.js';
import { ArgumentError, formatShape, ShapeError } from '../core/errors.js';
import { checkArity, describeValue, invalidArgument, isPlainObject, parseBoolean, parseNumber, parseOptions } from '../core/args.js';
import { argumentValues, describeLanes } from '../core/BatchTrace.js';
import { isTensor, type Tensor } from '../core/Tensor.js';
import { flatten as flattenTree, type Tree } from '../core/Tree.js';
import { add, astype, div, greater, mul, neg, pow, sqrt, square, sub, where } from '../rules/elementwise.js';
import { zipWith } from './pairs.js';
import * as tree from './tree.js';

/**
 * An optimizer's state: a frozen pytree (for the built-in optimizers, a plain object of moment trees
 * shaped like the parameters and a 0-d step count).
 *
 * @category optimizers
 * @since 0.1.0
 */
export type OptState = Tree;

/**
 * A gradient transformation (optax's `GradientTransformation`): `init` makes the state for a
 * parameter tree; `update` maps gradients (and the state, and for some transformations the
 * parameters) to updates of the same structure and the next state. Apply the updates with
 * `applyUpdates`.
 *
 * `update : (grads: P, state: S, params?: P) -> [updates: P, state: S]`
 *
 * The built-in transformations' updates have the gradients' shapes and dtypes (float32 gradients
 * give float32 updates). Their `update` pairs the gradients with the state's moment trees (and
 * `adamw` with `params`) leaf by leaf: a different structure is `TREE_MISMATCH`, a leaf of another
 * shape `SHAPE_MISMATCH` and of another dtype `INVALID_DTYPE`, each naming the update and the leaf.
 *
 * @category optimizers
 * @since 0.1.0
 */
export interface GradientTransformation {
  /** The initial state for parameters `params` (zeros shaped like them, a step count of 0). */
  readonly init: <P>(params: P) => OptState;
  /** Updates for `grads` (same structure as the parameters) and the next state. */
  readonly update: <P>(grads: P, state: OptState, params?: P) => readonly [P, OptState];
}

/**
 * A learning rate: a finite number `≥ 0`, or a 0-d tensor (which `grad` may trace, for
 * meta-gradients). A negative learning rate is refused (`INVALID_ARGUMENT`): the updates already
 * point downhill, so a negative rate would silently climb the loss; to maximise an objective,
 * minimise its negation. 0 is allowed (the parameters stay put). A tensor is checked the same way
 * wherever it comes from: under `grad` and `jvp` its primal value is read (the check is validation,
 * not differentiated control flow), under `vmap` every lane's.
 *
 * @category optimizers
 * @since 0.1.0
 */
export type LearningRate = number | Tensor;

const LEARNING_RATE = 'pass a finite number ≥ 0 or a 0-d tensor holding one (to maximise an objective, minimise its negation)';

function parseLearningRate(op: string, v: unknown): Tensor {
  if (isTensor(v)) {
    asTensor(op, v); // (refuses a tensor whose shape was redefined)
    if (v.ndim !== 0) throw new ShapeError('SHAPE_MISMATCH', op, `learningRate is a tensor of shape ${formatShape(v.shape)}; pass a number or a 0-d tensor`);
    const values = argumentValues(v);
    const d = values === undefined ? [] : values.data;
    for (let i = 0; i < d.length; i++) {
      const value = d[i]!;
      if (Number.isFinite(value) && value >= 0) continue;
      throw new ArgumentError('INVALID_ARGUMENT', op, `learningRate is a tensor holding ${describeValue(value).replace('the number ', '')}${describeLanes(values!.locate(i).lanes)}; ${LEARNING_RATE}`);
    }
    return v;
  }
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) invalidArgument(op, 'learningRate', v, LEARNING_RATE);
  return asTensor(op, v);
}

/** A hyperparameter in [0, 1) (a decay rate). */
function parseDecay(op: string, param: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  const d = parseNumber(op, param, v);
  if (d < 0 || d >= 1) invalidArgument(op, param, v, 'pass a number in [0, 1)');
  return d;
}

/** A finite hyperparameter `≥ 0` (`weightDecay`), or `> 0` when `strict` (`eps`, which a division needs). */
function parseNonNegative(op: string, param: string, v: unknown, fallback: number, strict = false): number {
  if (v === undefined) return fallback;
  const d = parseNumber(op, param, v);
  if (strict ? d <= 0 : d < 0) invalidArgument(op, param, v, strict ? 'pass a finite number > 0' : 'pass a finite number ≥ 0');
  return d;
}

/** A field of a state made by `init`; anything else is `INVALID_ARGUMENT`. */
function field(op: string, state: unknown, key: string): unknown {
  if (!isPlainObject(state) || !(key in state)) {
    throw new ArgumentError('INVALID_ARGUMENT', op, `state is ${describeValue(state)}; pass the state returned by ${op.replace('.update', '.init')} or by the previous update`);
  }
  return state[key];
}

const frozen = <T extends object>(o: T): T => Object.freeze(o);

/** The state of a stateless transformation: an empty object, as its `init` makes. */
function emptyState(op: string, state: unknown): OptState {
  if (!isPlainObject(state) || Object.keys(state).length > 0) {
    throw new ArgumentError('INVALID_ARGUMENT', op, `state is ${describeValue(state)}; pass the state returned by init (an empty object)`);
  }
  return EMPTY;
}
const EMPTY: OptState = Object.freeze({});

/** A transformation whose `init` and `update` refuse extra arguments (`op` is `optim.adam`, ...). */
function transformation(op: string, init: (params: unknown) => OptState, step: (grads: unknown, state: OptState, params: unknown) => readonly [unknown, OptState]): GradientTransformation {
  return frozen({
    init<P>(params: P): OptState {
      checkArity(`${op}.init`, arguments.length, 1, `${op}(...).init(params)`);
      return init(params);
    },
    update<P>(grads: P, state: OptState, params?: P): readonly [P, OptState] {
      checkArity(`${op}.update`, arguments.length, 3, `${op}(...).update(grads, state, params?)`);
      // a bad gradient tree is reported as this update's, not as a helper's inside it
      flattenTree(`${op}.update`, grads);
      const [updates, next] = step(grads, state, params);
      return frozen([updates as P, next] as const);
    },
    [Symbol.toStringTag]: op.replace('optim.', ''),
  });
}

/** The `init` of a stateless transformation: checks that `params` is a tree, and keeps nothing. */
function stateless(op: string): (params: unknown) => OptState {
  return (params) => {
    flattenTree(`${op}.init`, params);
    return EMPTY;
  };
}

/**
 * Plain stochastic gradient descent: `updates = -learningRate * grads`. Its state is empty.
 * @example
 * import { optim, tensor, toArray } from 'adjoint'
 * const opt = optim.sgd(0.1)
 * const params = { w: tensor([1, 2]) }
 * const [updates] = opt.update({ w: tensor([10, -10]) }, opt.init(params))
 * assert.deepEqual(toArray(optim.applyUpdates(params, updates).w), [0, 3])
 * @category optimizers
 * @since 0.1.0
 */
export function sgd(learningRate: LearningRate): GradientTransformation {
  checkArity('optim.sgd', arguments.length, 1, 'optim.sgd(learningRate)');
  const lr = parseLearningRate('optim.sgd', learningRate);
  return transformation(
    'optim.sgd',
    stateless('optim.sgd'),
    (grads, state) => [tree.scale(grads, neg(lr)), emptyState('optim.sgd.update', state)],
  );
}

/**
 * Options of `momentum`.
 *
 * @category optimizers
 * @since 0.1.0
 */
export interface MomentumOptions {
  /** Decay of the velocity, in [0, 1) (default 0.9). */
  readonly beta?: number;
  /** Nesterov's look-ahead form (default false). */
  readonly nesterov?: boolean;
}

/**
 * SGD with momentum (heavy ball, or Nesterov's form): `v ← g + beta·v`, and
 * `updates = -learningRate · v` (Nesterov: `-learningRate · (g + beta·v)`), as optax and PyTorch.
 * State: `{ trace }`, shaped like the parameters.
 * @example
 * import { optim, tensor, toArray } from 'adjoint'
 * const opt = optim.momentum(1, { beta: 0.5 })
 * let state = opt.init([tensor(0)])
 * let u
 * ;[u, state] = opt.update([tensor(1)], state)
 * ;[u, state] = opt.update([tensor(1)], state)
 * assert.equal(toArray(u[0]!), -1.5)
 * @category optimizers
 * @since 0.1.0
 */
export function momentum(learningRate: LearningRate, options: MomentumOptions = {}): GradientTransformation {
  const op = 'optim.momentum';
  checkArity(op, arguments.length, 2, 'optim.momentum(learningRate, { beta, nesterov }?)');
  const lr = parseLearningRate(op, learningRate);
  const o = parseOptions(op, 'options', options, ['beta', 'nesterov']);
  const beta = parseDecay(op, 'beta', o.beta, 0.9);
  const nesterov = parseBoolean(op, 'nesterov', o.nesterov, false);
  return transformation(
    op,
    (params) => frozen({ trace: tree.zerosLike(params) }) as OptState,
    (grads, state) => {
      const u = `${op}.update`;
      const trace = zipWith(u, ['grads', "the state's trace"], (g, t) => add(g, mul(beta, t)), grads, field(u, state, 'trace'));
      const direction = nesterov ? zipWith(u, ['grads', "the state's trace"], (g, t) => add(g, mul(beta, t)), grads, trace) : trace;
      return [tree.scale(direction, neg(lr)), frozen({ trace }) as OptState];
    },
  );
}

/**
 * Options of `adam` and `adamw`.
 *
 * @category optimizers
 * @since 0.1.0
 */
export interface AdamOptions {
  /** Decay of the first-moment estimate, in [0, 1) (default 0.9). */
  readonly b1?: number;
  /** Decay of the second-moment estimate, in [0, 1) (default 0.999). */
  readonly b2?: number;
  /** Added to the root of the second moment, for stability (default 1e-8; must be > 0, or a zero gradient would give 0/0). */
  readonly eps?: number;
}

/**
 * Options of `adamw`.
 *
 * @category optimizers
 * @since 0.1.0
 */
export interface AdamWOptions extends AdamOptions {
  /** Decoupled weight decay, `≥ 0`: `weightDecay · params` is added to the step (default 1e-4, as optax). */
  readonly weightDecay?: number;
}

function adamFamily(op: string, nargs: number, learningRate: unknown, options: unknown, decoupled: boolean): GradientTransformation {
  checkArity(op, nargs, 2, `${op}(learningRate, { b1, b2, eps${decoupled ? ', weightDecay' : ''} }?)`);
  const lr = parseLearningRate(op, learningRate);
  const o = parseOptions(op, 'options', options, decoupled ? ['b1', 'b2', 'eps', 'weightDecay'] : ['b1', 'b2', 'eps']);
  const b1 = parseDecay(op, 'b1', o.b1, 0.9);
  const b2 = parseDecay(op, 'b2', o.b2, 0.999);
  const eps = parseNonNegative(op, 'eps', o.eps, 1e-8, true);
  const weightDecay = parseNonNegative(op, 'weightDecay', (o as { weightDecay?: unknown }).weightDecay, 1e-4);
  return transformation(
    op,
    (params) => frozen({ count: zerosLike(asTensor(op, 0)), mu: tree.zerosLike(params), nu: tree.zerosLike(params) }) as OptState,
    (grads, state, params) => {
      const u = `${op}.update`;
      const count = add(field(u, state, 'count') as Tensor, 1);
      const mu = zipWith(u, ['grads', "the state's mu"], (g, m) => add(mul(b1, m), mul(1 - b1, g)), grads, field(u, state, 'mu'));
      const nu = zipWith(u, ['grads', "the state's nu"], (g, v) => add(mul(b2, v), mul(1 - b2, square(g))), grads, field(u, state, 'nu'));
      // bias corrections of the zero-initialised moments (Kingma & Ba, 2015, section 3), in each
      // leaf's dtype (the count is float64; float32 moments stay float32)
      const c1 = sub(1, pow(b1, count));
      const c2 = sub(1, pow(b2, count));
      const like = (c: Tensor, m: Tensor): Tensor => (m.dtype === c.dtype ? c : astype(c, m.dtype));
      let direction = zipWith(u, ["the state's mu", "the state's nu"], (m, v) => div(div(m, like(c1, m as Tensor)), add(sqrt(div(v, like(c2, v as Tensor))), eps)), mu, nu);
      if (decoupled) {
        if (params === undefined) throw new ArgumentError('INVALID_ARGUMENT', u, 'adamw needs the parameters for its weight decay: call update(grads, state, params)');
        direction = zipWith(u, ['grads', 'params'], (d, p) => add(d, mul(weightDecay, p)), direction, params);
      }
      return [tree.scale(direction, neg(lr)), frozen({ count, mu, nu }) as OptState];
    },
  );
}

/**
 * Adam (Kingma & Ba, 2015): bias-corrected first and second moment estimates,
 * `updates = -learningRate · m̂ / (√v̂ + eps)`. State: `{ count, mu, nu }`.
 * @example
 * import { optim, tensor, toArray } from 'adjoint'
 * const opt = optim.adam(0.1)
 * const [u] = opt.update({ w: tensor([3, -0.5]) }, opt.init({ w: tensor([0, 0]) }))
 * // the first step moves each coordinate by the learning rate, against the gradient's sign
 * assert.deepEqual((toArray(u.w) as number[]).map((v) => Math.round(v * 1e6) / 1e6), [-0.1, 0.1])
 * @category optimizers
 * @since 0.1.0
 */
export function adam(learningRate: LearningRate, options: AdamOptions = {}): GradientTransformation {
  return adamFamily('optim.adam', arguments.length, learningRate, options, false);
}

/**
 * AdamW (Loshchilov & Hutter, 2019): Adam with decoupled weight decay,
 * `updates = -learningRate · (m̂ / (√v̂ + eps) + weightDecay · params)`. `update` needs `params`.
 * @example
 * import { optim, tensor, toArray } from 'adjoint'
 * const opt = optim.adamw(0.1, { weightDecay: 0.5 })
 * const params = { w: tensor([2]) }
 * const [u] = opt.update({ w: tensor([0]) }, opt.init(params), params)
 * assert.deepEqual(toArray(u.w), [-0.1])
 * @category optimizers
 * @since 0.1.0
 */
export function adamw(learningRate: LearningRate, options: AdamWOptions = {}): GradientTransformation {
  return adamFamily('optim.adamw', arguments.length, learningRate, options, true);
}

/**
 * Options of `rmsprop`.
 *
 * @category optimizers
 * @since 0.1.0
 */
export interface RmspropOptions {
  /** Decay of the squared-gradient average, in [0, 1) (default 0.9). */
  readonly decay?: number;
  /** Added to the average before the root, for stability (default 1e-8; must be > 0). */
  readonly eps?: number;
}

/**
 * RMSProp (Hinton's lecture 6e): `v ← decay·v + (1 - decay)·g²`,
 * `updates = -learningRate · g / √(v + eps)` (eps inside the root, as optax). State: `{ nu }`.
 * @example
 * import { optim, tensor, toArray } from 'adjoint'
 * const opt = optim.rmsprop(0.01, { decay: 0.75 })
 * const [u] = opt.update([tensor(2)], opt.init([tensor(0)]))
 * assert.ok(Math.abs((toArray(u[0]!) as number) + 0.02) < 1e-9)
 * @category optimizers
 * @since 0.1.0
 */
export function rmsprop(learningRate: LearningRate, options: RmspropOptions = {}): GradientTransformation {
  const op = 'optim.rmsprop';
  checkArity(op, arguments.length, 2, 'optim.rmsprop(learningRate, { decay, eps }?)');
  const lr = parseLearningRate(op, learningRate);
  const o = parseOptions(op, 'options', options, ['decay', 'eps']);
  const decay = parseDecay(op, 'decay', o.decay, 0.9);
  const eps = parseNonNegative(op, 'eps', o.eps, 1e-8, true);
  return transformation(
    op,
    (params) => frozen({ nu: tree.zerosLike(params) }) as OptState,
    (grads, state) => {
      const u = `${op}.update`;
      const nu = zipWith(u, ['grads', "the state's nu"], (g, v) => add(mul(decay, v), mul(1 - decay, square(g))), grads, field(u, state, 'nu'));
      const direction = zipWith(u, ['grads', "the state's nu"], (g, v) => div(g, sqrt(add(v, eps))), grads, nu);
      return [tree.scale(direction, neg(lr)), frozen({ nu }) as OptState];
    },
  );
}

/**
 * Rescales the gradients so their global L2 norm (`tree.norm`) is at most `maxNorm`:
 * `g · min(1, maxNorm / ‖g‖)`. Chain it before an optimizer with `chain`. Its state is empty.
 * @example
 * import { optim, tree, tensor, toArray } from 'adjoint'
 * const clip = optim.clipByGlobalNorm(1)
 * const grads = { a: tensor([3]), b: tensor([4]) }
 * const [g] = clip.update(grads, clip.init(grads))
 * assert.equal(toArray(tree.norm(g)), 1)
 * @category optimizers
 * @since 0.1.0
 */
export function clipByGlobalNorm(maxNorm: number): GradientTransformation {
  checkArity('optim.clipByGlobalNorm', arguments.length, 1, 'optim.clipByGlobalNorm(maxNorm)');
  const limit = parseNumber('optim.clipByGlobalNorm', 'maxNorm', maxNorm);
  if (limit <= 0) invalidArgument('optim.clipByGlobalNorm', 'maxNorm', maxNorm, 'pass a positive number');
  return transformation(
    'optim.clipByGlobalNorm',
    stateless('optim.clipByGlobalNorm'),
    (grads, state) => {
      emptyState('optim.clipByGlobalNorm.update', state);
      const norm = tree.norm(grads);
      // where: at norm 0 the unselected quotient is Infinity, and contributes an exact 0 to gradients
      const factor = where(greater(norm, limit), div(limit, norm), 1);
      return [tree.scale(grads, factor), EMPTY];
    },
  );
}

/**
 * Composes transformations left to right (optax's `chain`): each one's updates are the next one's
 * gradients. The state is the array of their states.
 * @example
 * import { optim, tensor, toArray } from 'adjoint'
 * const opt = optim.chain(optim.clipByGlobalNorm(5), optim.sgd(0.5))
 * const [u] = opt.update([tensor([6, 8])], opt.init([tensor([0, 0])]))
 * assert.deepEqual(toArray(u[0]!), [-1.5, -2])
 * @category optimizers
 * @since 0.1.0
 */
export function chain(...transformations: ReadonlyArray<GradientTransformation>): GradientTransformation {
  transformations.forEach((t, i) => {
    if (t === null || typeof t !== 'object' || typeof t.init !== 'function' || typeof t.update !== 'function') {
      invalidArgument('optim.chain', `transformation ${i}`, t, 'pass gradient transformations such as optim.adam(1e-3)');
    }
  });
  return transformation(
    'optim.chain',
    (params) => frozen(transformations.map((t) => t.init(params))),
    (grads, state, params) => {
      if (!Array.isArray(state) || state.length !== transformations.length) {
        throw new ArgumentError('INVALID_ARGUMENT', 'optim.chain.update', `state is ${describeValue(state)}; pass the state returned by init or by the previous update (one entry per transformation)`);
      }
      let updates = grads;
      const states: OptState[] = [];
      transformations.forEach((t, i) => {
        const [u, s] = t.update(updates, state[i] as OptState, params);
        updates = u;
        states.push(s);
      });
      return [updates, frozen(states)];
    },
  );
}

/**
 * `params + updates`, leaf by leaf (optax's `apply_updates`). Each update has its parameter's shape
 * and dtype, so no parameter changes shape or precision: `TREE_MISMATCH` when the structures
 * differ, `SHAPE_MISMATCH` (nothing broadcasts) or `INVALID_DTYPE` naming the leaf that does not fit.
 * @example
 * import { optim, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(optim.applyUpdates({ w: tensor([1, 2]) }, { w: tensor([0.5, -1]) }).w), [1.5, 1])
 * assert.throws(() => optim.applyUpdates({ w: tensor([1, 2]) }, { w: tensor([[1, 2], [3, 4]]) }), { code: 'SHAPE_MISMATCH' })
 * @category optimizers
 * @since 0.1.0
 */
export function applyUpdates<P>(params: P, updates: P): P {
  checkArity('optim.applyUpdates', arguments.length, 2, 'optim.applyUpdates(params, updates)');
  return zipWith('optim.applyUpdates', ['params', 'updates'], add, params, updates);
}
