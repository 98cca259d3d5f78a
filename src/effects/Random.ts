/**
 * The `Random` effect: draws from the counter-based generator of `random`, with the key threaded by
 * the handler (each draw splits it), so a program has no hidden global state and the same key gives
 * the same program result and gradient, every time. Samples are constants to differentiation; a
 * reparameterised sample `mu + sigma * eps` carries gradients to `mu` and `sigma` through the
 * arithmetic.
 *
 * @since 0.1.0
 */
import * as random from '../core/random.js';
import type { Tensor } from '../core/Tensor.js';
import { noteEffect } from '../core/Trace.js';
import { handle, type Handler, perform, type Program } from './Program.js';

type Draw = { readonly shape: ReadonlyArray<number>; readonly options: object | undefined };

function randomHandler(start: random.Key): Handler<random.Key> {
  return {
    effect: 'Random',
    init: () => start,
    handle(op, payload, key) {
      const [next, sub] = random.split(key, 2) as [random.Key, random.Key];
      if (op === 'split') return { _tag: 'Resume', value: sub, state: next };
      const { shape, options } = payload as Draw;
      const value = op === 'normal' ? random.normal(sub, shape, options as random.NormalOptions) : random.uniform(sub, shape, options as random.UniformOptions);
      noteEffect(`Random.${op} =`, [value]);
      return { _tag: 'Resume', value, state: next };
    },
    onReturn: (value) => value,
    onAbort: (error) => {
      throw error;
    },
  };
}

/**
 * The `Random` effect: `normal`, `uniform`, `split`, and its handler `run(key)`.
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
export const Random = {
  /** Standard normal samples (options: dtype, mean, std). */
  normal: (shape: ReadonlyArray<number>, options?: random.NormalOptions): Program<Tensor, 'Random'> => perform('Random', 'normal', { shape, options }),
  /** Uniform samples in [minval, maxval) (default [0, 1)). */
  uniform: (shape: ReadonlyArray<number>, options?: random.UniformOptions): Program<Tensor, 'Random'> => perform('Random', 'uniform', { shape, options }),
  /** A fresh key, for code that takes keys explicitly. */
  split: (): Program<random.Key, 'Random'> => perform('Random', 'split', undefined),
  /** The handler: draws from `key`, splitting it at each draw. */
  run:
    (key: random.Key) =>
    <A, E>(program: Program<A, E>): Program<A, Exclude<E, 'Random'>> =>
      handle(program, randomHandler(key) as Handler<unknown>),
} as const;
