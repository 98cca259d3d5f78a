/**
 * The `Random` effect: draws from the counter-based generator of `random`, with the key threaded by
 * the handler (each draw splits it), so a program has no hidden global state and the same key gives
 * the same program result and gradient, every time. Samples are constants to differentiation; a
 * reparameterised sample `mu + sigma * eps` carries gradients to `mu` and `sigma` through the
 * arithmetic.
 *
 * @since 0.1.0
 */
import { checkArity, invalidArgument, parseShape } from '../core/args.js';
import { AdjointError, type ErrorCode } from '../core/errors.js';
import * as random from '../core/random.js';
import type { Tensor } from '../core/Tensor.js';
import { stack } from '../rules/structure.js';
import { noteEffect } from '../core/Trace.js';
import { handle, type Handler, perform, type Program } from './Program.js';

/** A draw request; `lanes` (set by vmap, outermost first) asks for one independent draw per lane. */
type Draw = { readonly shape: ReadonlyArray<number>; readonly options: object | undefined; readonly lanes?: ReadonlyArray<number> };

/**
 * One draw per lane, stacked lanes first: lane `i` of `n` draws with key `split(key, n)[i]`, so each
 * lane is the draw an unbatched program would make with that lane's key (nested vmaps split again).
 */
function drawLanes(key: random.Key, lanes: ReadonlyArray<number>, draw: (k: random.Key) => Tensor): Tensor {
  const [n, ...rest] = lanes;
  const keys = random.split(key, n!) as readonly random.Key[];
  return stack(keys.map((k) => (rest.length === 0 ? draw(k) : drawLanes(k, rest, draw))));
}

function randomHandler(start: random.Key): Handler<random.Key> {
  return {
    effect: 'Random',
    init: () => start,
    handle(op, payload, key) {
      const [next, sub] = random.split(key, 2) as [random.Key, random.Key];
      if (op === 'split') return { _tag: 'Resume', value: sub, state: next };
      const { shape, options, lanes } = payload as Draw;
      const draw = (k: random.Key): Tensor => (op === 'normal' ? random.normal(k, shape, options as random.NormalOptions) : random.uniform(k, shape, options as random.UniformOptions));
      const value = lanes === undefined || lanes.length === 0 ? draw(sub) : drawLanes(sub, lanes, draw);
      noteEffect(`Random.${op} =`, [value]);
      return { _tag: 'Resume', value, state: next };
    },
    onReturn: (value) => value,
    onAbort: (error) => {
      throw error;
    },
  };
}

/** The sampler's own checks, made now for the caller's `op` (an error names `op`, not the sampler). */
function checked<T>(op: string, check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof AdjointError) {
      // rethrown as the same class, code and message, attributed to the caller's function
      const Kind = e.constructor as new (code: ErrorCode, op: string, message: string) => AdjointError;
      throw new Kind(e.code, op, e.message.slice(e.op.length + 2));
    }
    throw e;
  }
}

/** Any valid key: the samplers' options are checked by a draw of zero elements. */
const PROBE_KEY = random.key(0);

/** A draw request, checked (shape, options) and copied where the caller makes it. */
function draw(op: 'normal' | 'uniform', shape: unknown, options: unknown): Program<Tensor, 'Random'> {
  const name = `Random.${op}`;
  if (!Array.isArray(shape)) invalidArgument(name, 'shape', shape, 'pass an array of dimensions, [] for a scalar');
  const dims = Object.freeze([...(shape as unknown[])]) as ReadonlyArray<number>;
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    invalidArgument(name, 'options', options, `pass an options object (${op === 'normal' ? 'dtype, mean, std' : 'dtype, minval, maxval'}) or omit it`);
  }
  const opts = options === undefined ? undefined : Object.freeze({ ...(options as object) });
  parseShape(name, 'shape', dims);
  checked(name, () => {
    // a zero-element draw checks the options and allocates nothing
    if (op === 'normal') random.normal(PROBE_KEY, [0], opts as random.NormalOptions);
    else random.uniform(PROBE_KEY, [0], opts as random.UniformOptions);
  });
  return perform('Random', op, { shape: dims, options: opts } satisfies Draw);
}

/**
 * The `Random` effect: `normal`, `uniform`, `split`, and its handler `run(key)`. Shapes and options
 * are checked where they are passed, with the samplers' own rules (`random.normal`, `random.uniform`).
 *
 * @example
 * import { Program, Random, random, run, toArray } from 'adjoint'
 * const p = Random.normal([2])
 * const a = toArray(run(Random.run(random.key(0))(p)))
 * const b = toArray(run(Random.run(random.key(0))(p)))
 * assert.deepEqual(a, b)
 *
 * @category effects
 * @since 0.1.0
 */
export const Random = Object.freeze({
  /** Standard normal samples (options: dtype, mean, std). */
  normal: (shape: ReadonlyArray<number>, options?: random.NormalOptions): Program<Tensor, 'Random'> => draw('normal', shape, options),
  /** Uniform samples in [minval, maxval) (default [0, 1)). */
  uniform: (shape: ReadonlyArray<number>, options?: random.UniformOptions): Program<Tensor, 'Random'> => draw('uniform', shape, options),
  /** A fresh key, for code that takes keys explicitly. */
  split: function split(): Program<random.Key, 'Random'> {
    if (arguments.length > 0) invalidArgument('Random.split', 'the first argument', arguments[0], 'Random.split takes no arguments: each call gives one fresh key');
    return perform('Random', 'split', undefined);
  },
  /** The handler: draws from `key`, splitting it at each draw. */
  run: function run(key: random.Key) {
    checkArity('Random.run', arguments.length, 1, 'Random.run(key)(program)');
    checked('Random.run', () => random.split(key, 0));
    return function run<A, E>(program: Program<A, E>): Program<A, Exclude<E, 'Random'>> {
      checkArity('Random.run', arguments.length, 1, 'Random.run(key)(program)');
      return handle('Random.run', program, randomHandler(key) as Handler<unknown>);
    };
  },
} as const);
