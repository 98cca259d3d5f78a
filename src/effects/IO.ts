/**
 * The `IO` effect: a call to the outside world (a file, a clock, a service). Its result is a constant
 * to differentiation: tensors it returns carry no derivative. A transform that replays a program
 * (none does yet; `checkpoint` will) would have to refuse `IO` in its type.
 *
 * `IO.call(thunk)` is synchronous and runs under `run`; `IO.promise(thunk)` awaits the promise its
 * thunk returns, so a program holding one must be run with `runPromise` (`run` refuses it with
 * `ASYNC_FUNCTION`, and so does `IO.call` given a thunk that returns a promise).
 *
 * @since 0.1.0
 */
import { checkArity, invalidArgument, parseFunction, parseOptions } from '../core/args.js';
import { ArgumentError } from '../core/errors.js';
import { concreteOf } from '../core/Trace.js';
import { ignoreRejection, isThenable, mapTensors } from '../core/Tree.js';
import { handle, type Handler, perform, type Program } from './Program.js';

/** `T`, or `never` for a promise: `IO.call` of a thunk that returns a promise does not type-check (use `IO.promise`). */
export type NotAPromise<T> = T extends PromiseLike<unknown> ? never : T;

/** A thunk's result, with the tracers of any open transform replaced by their concrete values. */
const constant = (op: string, v: unknown): unknown => mapTensors(v, concreteOf, op, 'result');

const resumePromise = (v: unknown): unknown => constant('IO.promise', v);

/** Thunks marked `batchSafe`: vmap may run them once for all lanes. */
const batchSafe = new WeakSet<object>();

/** @internal Whether an IO request's thunk was marked batch-safe (see `IO.call`'s options). */
export function isBatchSafe(thunk: unknown): boolean {
  return typeof thunk === 'function' && batchSafe.has(thunk);
}

/** Options of `IO.call` and `IO.promise`. */
export interface IOOptions {
  /** Under vmap, run the step once for all lanes (it does not depend on the lane: loading shared data). Default false: refused under vmap. */
  readonly batchSafe?: boolean;
}

function marked<F extends object>(op: string, thunk: F, options: unknown): F {
  const o = parseOptions(op, 'options', options, ['batchSafe']);
  if (o.batchSafe !== undefined && typeof o.batchSafe !== 'boolean') invalidArgument(op, 'options.batchSafe', o.batchSafe, 'pass true or false');
  if (o.batchSafe === true) {
    // a fresh function per call: marking the caller's thunk itself would mark its other uses too
    const own = ((...a: unknown[]) => (thunk as unknown as (...b: unknown[]) => unknown)(...a)) as unknown as F;
    batchSafe.add(own);
    return own;
  }
  return thunk;
}

const ioHandler: Handler<undefined> = {
  effect: 'IO',
  init: () => undefined,
  handle: (op, thunk) => {
    if (op === 'promise') return { _tag: 'Await', start: thunk as () => unknown, resume: resumePromise, state: undefined };
    const v = (thunk as () => unknown)();
    if (isThenable(v)) {
      ignoreRejection(v);
      throw new ArgumentError(
        'ASYNC_FUNCTION',
        'IO.call',
        'the thunk returned a promise; IO.call is synchronous: use IO.promise(() => ...) for an asynchronous step and run the program with runPromise',
      );
    }
    return { _tag: 'Resume', value: constant('IO.call', v), state: undefined };
  },
  onReturn: (value) => value,
  onAbort: (error) => {
    throw error;
  },
};

/**
 * The `IO` effect: `call`, `promise`, and the handler `run`.
 *
 * @example
 * import { IO, run } from 'adjoint'
 * const seen = []
 * const p = IO.call(() => { seen.push('called'); return 7 })
 * assert.equal(run(IO.run(p)), 7)
 * assert.deepEqual(seen, ['called'])
 *
 * @category effects
 * @since 0.1.0
 */
export const IO = Object.freeze({
  /** Runs `thunk` when the program runs, through the handler. `thunk` must return synchronously. */
  call: <T>(thunk: () => NotAPromise<T>, options?: IOOptions): Program<T, 'IO'> => perform('IO', 'call', marked('IO.call', parseFunction('IO.call', 'thunk', thunk), options)),
  /**
   * Runs `thunk` when the program runs and waits for the promise it returns; the program must be run
   * with `runPromise`. A rejection ends the program: `runPromise` rejects with it.
   *
   * @example
   * import { Program, IO, runPromise, tensor, sum, item } from 'adjoint'
   * const load = () => new Promise((resolve) => setTimeout(() => resolve(tensor([1, 2, 3])), 1))
   * const p = Program.map(IO.run(IO.promise(load)), (data) => item(sum(data)))
   * assert.equal(await runPromise(p), 6)
   */
  promise: <T>(thunk: () => PromiseLike<T>, options?: IOOptions): Program<T, 'IO'> => {
    if (typeof thunk !== 'function') invalidArgument('IO.promise', 'thunk', thunk, 'pass a function that returns a promise: IO.promise(() => fetchSomething())');
    return perform('IO', 'promise', marked('IO.promise', thunk, options));
  },
  /** The handler: runs each call. */
  run: function run<A, E>(program: Program<A, E>): Program<A, Exclude<E, 'IO'>> {
    checkArity('IO.run', arguments.length, 1, 'IO.run(program)');
    return handle('IO.run', program, ioHandler as Handler<unknown>);
  },
} as const);
