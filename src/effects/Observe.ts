/**
 * The `Observe` effect: a plain number read from a (possibly traced) scalar, so a program can branch
 * on a value. Under differentiation the derivative is that of the branch taken. Reading a number out
 * of a tracer any other way raises `CONCRETIZATION`, whose message points here.
 *
 * @since 0.1.0
 */
import { asTensor } from '../core/creation.js';
import { checkArity } from '../core/args.js';
import { AdjointError, formatShape } from '../core/errors.js';
import { item, type Tensor } from '../core/Tensor.js';
import { concreteOf, noteEffect } from '../core/Trace.js';
import { handle, type Handler, perform, type Program } from './Program.js';

const observeHandler: Handler<undefined> = {
  effect: 'Observe',
  init: () => undefined,
  handle(_op, payload) {
    const x = payload as Tensor;
    noteEffect('Observe', [x]);
    return { _tag: 'Resume', value: item(concreteOf(x)), state: undefined };
  },
  onReturn: (value) => value,
  onAbort: (error) => {
    throw error;
  },
};

/**
 * The value of a size-1 tensor as a number, to branch on. Needs the `Observe` handler.
 *
 * @example
 * import { Program, observe, Observe, run, grad, mul, neg, item } from 'adjoint'
 * const f = (x) => Program.gen(function* () {
 *   return (yield* observe(x)) > 0 ? mul(x, x) : neg(x)
 * })
 * assert.equal(item(run(Observe.run(grad(f)(3)))), 6)
 * assert.equal(item(run(Observe.run(grad(f)(-3)))), -1)
 *
 * @category effects
 * @since 0.1.0
 */
export function observe(x: Tensor | number): Program<number, 'Observe'> {
  // checked where the caller passes it: a number or a size-1 tensor (traced or not)
  const t = asTensor('observe', x);
  if (t.size !== 1) {
    throw new AdjointError('NOT_SIZE_ONE', 'observe', `observe reads one number, got a tensor of shape ${formatShape(t.shape)}; reduce it first (sum, mean, take)`);
  }
  return perform('Observe', 'read', t);
}

/**
 * The `Observe` effect's handler.
 *
 * @example
 * import { Program, Observe, run } from 'adjoint'
 * const p = Program.map(Observe.value(3), (n) => (n > 0 ? 'positive' : 'not positive'))
 * assert.equal(run(Observe.run(p)), 'positive')
 *
 * @category effects
 * @since 0.1.0
 */
export const Observe = Object.freeze({
  /** Same as the top-level `observe`. */
  value: observe,
  /** The handler: answers each observation with the concrete number. */
  run: function run<A, E>(program: Program<A, E>): Program<A, Exclude<E, 'Observe'>> {
    checkArity('Observe.run', arguments.length, 1, 'Observe.run(program)');
    return handle('Observe.run', program, observeHandler as Handler<unknown>);
  },
} as const);
