/**
 * The `IO` effect: a call to the outside world (a file, a clock, a service). Its result is a constant
 * to differentiation: tensors it returns carry no derivative. A transform that replays a program
 * (none does yet; `checkpoint` will) would have to refuse `IO` in its type.
 *
 * @since 0.1.0
 */
import { concreteOf } from '../core/Trace.js';
import { mapTensors } from '../core/Tree.js';
import { handle, type Handler, perform, type Program } from './Program.js';

const ioHandler: Handler<undefined> = {
  effect: 'IO',
  init: () => undefined,
  handle: (_op, thunk) => ({ _tag: 'Resume', value: mapTensors((thunk as () => unknown)(), concreteOf), state: undefined }),
  onReturn: (value) => value,
  onAbort: (error) => {
    throw error;
  },
};

/**
 * The `IO` effect: `call`, and the handler `run`.
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
export const IO = {
  /** Runs `thunk` when the program runs, through the handler. */
  call: <T>(thunk: () => T): Program<T, 'IO'> => perform('IO', 'call', thunk),
  /** The handler: runs each call. */
  run: <A, E>(program: Program<A, E>): Program<A, Exclude<E, 'IO'>> => handle(program, ioHandler as Handler<unknown>),
} as const;
