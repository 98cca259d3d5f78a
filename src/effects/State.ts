/**
 * The `State` effect: named cells holding values or pytrees, read and written inside a program.
 * Every write makes a new version (`x@0`, `x@1`, ...) as in static single assignment: a value read
 * earlier is never changed by a later write (values are immutable; `modify` goes through immer), so
 * mutation and aliasing cannot corrupt a gradient. Under a transform, gradients flow through the
 * versions like through any other value.
 *
 * @since 0.1.0
 */
import { isDraftable, produce } from 'immer';
import { AdjointError } from '../core/errors.js';
import { noteEffect } from '../core/Trace.js';
import { frozenCopy, mapTensors } from '../core/Tree.js';
import type { Tensor } from '../core/Tensor.js';

/**
 * What a `modify` recipe receives: a mutable draft of plain objects and arrays (immer), with tensors
 * and numbers as they are (immutable values are replaced, not edited).
 */
export type DraftOf<T> = T extends Tensor | number | string | boolean | null | undefined
  ? T
  : T extends ReadonlyArray<infer U>
    ? DraftOf<U>[]
    : T extends object
      ? { -readonly [K in keyof T]: DraftOf<T[K]> }
      : T;
import { handle, type Handler, perform, type Program } from './Program.js';

/**
 * A state cell: a name and the type of what it holds.
 *
 * @category effects
 * @since 0.1.0
 */
export interface Cell<T> {
  readonly _tag: 'Cell';
  readonly name: string;
  /** Phantom: the cell's value type. */
  readonly _T?: (t: T) => T;
}

interface Entry {
  readonly value: unknown;
  readonly version: number;
}

/** The final state: each cell's last value. */
export type StateSnapshot = Readonly<Record<string, unknown>>;

const unset = (op: string, name: string): AdjointError =>
  new AdjointError('STATE_UNSET', op, `cell "${name}" has no value; give it one in State.run({ ${name}: ... }) or State.set it before reading`);

function write(state: Map<string, Entry>, name: string, value: unknown): void {
  const version = (state.get(name)?.version ?? -1) + 1;
  // a frozen copy on the way in: a version handed out by get can never change through an alias,
  // and the caller's object is left as it was
  state.set(name, { value: frozenCopy(value), version });
  noteEffect(`State.set ${name}@${version} :=`, [value]);
}

function stateHandler(initial: Readonly<Record<string, unknown>>): Handler<Map<string, Entry>> {
  return {
    effect: 'State',
    // a fresh map per interpretation; private to the handler and never handed out
    init: () => new Map(Object.entries(initial).map(([k, value]) => [k, { value: frozenCopy(value), version: 0 }])),
    handle(op, payload, state) {
      const { cell, value, recipe } = payload as { cell: Cell<unknown>; value?: unknown; recipe?: (draft: unknown) => unknown };
      const entry = state.get(cell.name);
      switch (op) {
        case 'get':
          if (entry === undefined) throw unset('State.get', cell.name);
          noteEffect(`State.get ${cell.name}@${entry.version} =`, [entry.value]);
          return { _tag: 'Resume', value: entry.value, state };
        case 'version':
          if (entry === undefined) throw unset('State.version', cell.name);
          return { _tag: 'Resume', value: entry.version, state };
        case 'set':
          write(state, cell.name, value);
          return { _tag: 'Resume', value: undefined, state };
        default: {
          if (entry === undefined) throw unset('State.modify', cell.name);
          const current = entry.value;
          const next = isDraftable(current) ? produce(current, recipe as (d: unknown) => void) : recipe!(current);
          if (next === undefined) {
            throw new AdjointError(
              'INVALID_ARGUMENT',
              'State.modify',
              `cell "${cell.name}" holds a ${typeof current === 'object' ? 'tensor' : typeof current}, which has no draft to edit; return the new value from the recipe (x => mul(x, 2))`,
            );
          }
          write(state, cell.name, next);
          return { _tag: 'Resume', value: undefined, state };
        }
      }
    },
    onReturn: (value, state) => Object.freeze([value, Object.freeze(Object.fromEntries([...state].map(([k, e]) => [k, e.value])))] as const),
    onAbort: (error) => {
      throw error;
    },
    lower(state, f) {
      for (const [k, e] of state) state.set(k, { value: mapTensors(e.value, f as (t: Tensor) => Tensor), version: e.version });
      return state;
    },
  };
}

/**
 * The `State` effect: `cell`, `get`, `set`, `modify` and its handler `run`.
 *
 * @example
 * import { Program, State, run, mul, add, grad, item } from 'adjoint'
 * const x = State.cell('x')
 * // x = x0; x = x * x; x = x + 1
 * const f = (x0) => Program.gen(function* () {
 *   yield* State.set(x, x0)
 *   yield* State.modify(x, (v) => mul(v, v))
 *   yield* State.modify(x, (v) => add(v, 1))
 *   return yield* State.get(x)
 * })
 * const [g] = run(State.run({})(grad(f)(2)))
 * assert.equal(item(g), 4)
 *
 * @category effects
 * @since 0.1.0
 */
export const State = {
  /** A cell named `name` (the key in `State.run`'s initial state and in the final snapshot). */
  cell: <T>(name: string): Cell<T> => Object.freeze({ _tag: 'Cell' as const, name }),
  /** The cell's current version's value. */
  get: <T>(cell: Cell<T>): Program<T, 'State'> => perform('State', 'get', { cell }),
  /** Writes a new version. */
  set: <T>(cell: Cell<T>, value: T): Program<void, 'State'> => perform('State', 'set', { cell, value }),
  /** Writes a new version computed from the current one: an immer recipe for objects and arrays, or a function returning the new value. */
  modify: <T>(cell: Cell<T>, recipe: (draft: DraftOf<T>) => T | void): Program<void, 'State'> => perform('State', 'modify', { cell, recipe }),
  /** The version of the cell's current value: 0 for its first value (initial or first write), one more per write. */
  version: <T>(cell: Cell<T>): Program<number, 'State'> => perform('State', 'version', { cell }),
  /** The handler: runs with `initial` cell values and returns `[result, finalState]`. */
  run:
    (initial: Readonly<Record<string, unknown>>) =>
    <A, E>(program: Program<A, E>): Program<readonly [A, StateSnapshot], Exclude<E, 'State'>> =>
      handle(program, stateHandler(initial) as Handler<unknown>),
} as const;
