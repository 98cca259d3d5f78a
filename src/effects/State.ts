/**
 * The `State` effect: named cells holding values or pytrees, read and written inside a program.
 * Every write makes a new version (`x@0`, `x@1`, ...) as in static single assignment: a value read
 * earlier is never changed by a later write (values are immutable; `modify` goes through immer), so
 * mutation and aliasing cannot corrupt a gradient. Under a transform, gradients flow through the
 * versions like through any other value.
 *
 * A version is a copy no caller can reach (`ownedCopy`): arrays and plain objects are copied and
 * frozen when written, so `get` and the final snapshot hand them out as they are; Maps, Sets, typed
 * arrays and Dates cannot be frozen, so each `get`, each `modify` draft and the snapshot hand out a
 * fresh copy of them (a tensor is immutable and costs nothing: prefer tensors for numeric state).
 *
 * @since 0.1.0
 */
import { enableMapSet, Immer, isDraftable } from 'immer';
import { checkArity, invalidArgument, isPlainObject, parseFunction, parseString } from '../core/args.js';
import { AdjointError } from '../core/errors.js';
import { noteEffect } from '../core/Trace.js';
import { lastCopyHeldMutable, mapTensors, ownedCopy } from '../core/Tree.js';
import type { Tensor } from '../core/Tensor.js';
import { handle, type Handler, perform, type Program } from './Program.js';

// `modify` recipes may edit Maps and Sets inside a cell's value
enableMapSet();

// Without auto-freezing: immer would freeze what a recipe returns, which may be the caller's own
// object (`State.modify(c, () => mine)`). The new version is an owned copy, frozen by `own`, instead.
const immer = new Immer({ autoFreeze: false });

/**
 * What a `modify` recipe receives: a mutable draft of plain objects, arrays, Maps and Sets (immer),
 * with tensors and numbers as they are (immutable values are replaced, not edited), and private
 * copies of typed arrays and Dates (edited in place).
 */
export type DraftOf<T> = T extends Tensor | number | string | boolean | bigint | symbol | null | undefined | ArrayBufferView | ArrayBuffer | Date
  ? T
  : T extends ReadonlyMap<infer K, infer V>
    ? Map<K, DraftOf<V>>
    : T extends ReadonlySet<infer V>
      ? Set<DraftOf<V>>
      : T extends ReadonlyArray<infer U>
        ? DraftOf<U>[]
        : T extends (...args: never[]) => unknown
          ? T
          : T extends object
            ? { -readonly [K in keyof T]: DraftOf<T[K]> }
            : T;

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

/**
 * The final state `State.run(initial)` returns: each cell's last value. The cells of `initial` have
 * the types they started with; a cell first written inside the program is there too, as `unknown`.
 *
 * @category effects
 * @since 0.1.0
 */
export type StateSnapshot<S = {}> = { readonly [K in keyof S]: S[K] } & { readonly [name: string]: unknown };

/** A version: its value (an owned copy) and whether it holds Maps, Sets, typed arrays or Dates. */
interface Entry {
  readonly value: unknown;
  readonly version: number;
  readonly mutable: boolean;
}

/** A value checked and copied where the caller passes it. */
interface Owned {
  readonly value: unknown;
  readonly mutable: boolean;
}

/** `what` names the value in messages, without an article (`value`, `initial value of cell "x"`); `param` as the parameter. */
function own(op: string, what: string, value: unknown, param = `the ${what}`): Owned {
  if (value === undefined) {
    invalidArgument(op, param, value, 'a cell holds a value (undefined would read as unset): pass the value, or null for "nothing"');
  }
  const copy = ownedCopy(op, what, value);
  return { value: copy, mutable: lastCopyHeldMutable() };
}

/** What a caller may have of a version: the value itself, or a fresh copy when it holds mutable containers. */
const handOut = (op: string, e: Owned): unknown => (e.mutable ? ownedCopy(op, 'value', e.value) : e.value);

function parseCell(op: string, v: unknown): Cell<unknown> {
  if (!isPlainObject(v) || v['_tag'] !== 'Cell' || typeof v['name'] !== 'string') invalidArgument(op, 'cell', v, "pass a cell made by State.cell('name')");
  return v as unknown as Cell<unknown>;
}

const unset = (op: string, name: string): AdjointError =>
  new AdjointError('STATE_UNSET', op, `cell "${name}" has no value; give it one in State.run({ ${name}: ... }) or State.set it before reading`);

function write(state: Map<string, Entry>, name: string, next: Owned, note?: string): void {
  const version = (state.get(name)?.version ?? -1) + 1;
  state.set(name, { value: next.value, version, mutable: next.mutable });
  if (note === undefined) noteEffect(`State.set ${name}@${version} :=`, [next.value]);
  else noteEffect(`State.set ${name}@${version} ${note}`, []);
}

type Request = { readonly cell: Cell<unknown>; readonly next?: Owned; readonly recipe?: (draft: unknown) => unknown; readonly note?: string };

/**
 * `State.set` whose line in `printTape` shows `note` instead of the value written: a version that
 * a checkpointed program made inside, and that is written again here only to be counted (a later
 * write follows at once), so its value is not on the tape. Not exported from the package.
 */
export function setCounted<T>(cell: Cell<T>, value: T, note: string): Program<void, 'State'> {
  return perform('State', 'set', { cell: parseCell('State.set', cell), next: own('State.set', 'value', value), note });
}

function stateHandler(initial: ReadonlyArray<readonly [string, Owned]>): Handler<Map<string, Entry>> {
  return {
    effect: 'State',
    // a fresh map per interpretation; private to the handler and never handed out
    init: () => new Map(initial.map(([k, o]) => [k, { value: o.value, version: 0, mutable: o.mutable }])),
    handle(op, payload, state) {
      const { cell, next, recipe } = payload as Request;
      const entry = state.get(cell.name);
      switch (op) {
        case 'get':
          if (entry === undefined) throw unset('State.get', cell.name);
          noteEffect(`State.get ${cell.name}@${entry.version} =`, [entry.value]);
          return { _tag: 'Resume', value: handOut('State.get', entry), state };
        case 'version':
          if (entry === undefined) throw unset('State.version', cell.name);
          return { _tag: 'Resume', value: entry.version, state };
        case 'set':
          write(state, cell.name, next!, (payload as Request).note);
          return { _tag: 'Resume', value: undefined, state };
        default: {
          if (entry === undefined) throw unset('State.modify', cell.name);
          // the recipe edits a copy when the value holds mutable containers, never the version itself
          const current = handOut('State.modify', entry);
          let result: unknown;
          if (isDraftable(current)) result = immer.produce(current, recipe as (d: unknown) => void);
          else {
            result = recipe!(current);
            // a typed array or Date (a private copy) may be edited in place, like a draft
            if (result === undefined && entry.mutable) result = current;
          }
          if (result === undefined) {
            throw new AdjointError(
              'INVALID_ARGUMENT',
              'State.modify',
              `cell "${cell.name}" holds ${typeof current === 'object' ? 'a tensor' : `a ${typeof current}`}, which has no draft to edit; return the new value from the recipe (x => mul(x, 2))`,
            );
          }
          write(state, cell.name, own('State.modify', 'new value', result));
          return { _tag: 'Resume', value: undefined, state };
        }
      }
    },
    onReturn: (value, state) =>
      Object.freeze([value, Object.freeze(Object.fromEntries([...state].map(([k, e]) => [k, handOut('State.run', e)])))] as const),
    onAbort: (error) => {
      throw error;
    },
    lower(state, f) {
      for (const [k, e] of state) state.set(k, { ...e, value: mapTensors(e.value, f as (t: Tensor) => Tensor) });
      return state;
    },
  };
}

/**
 * The `State` effect: `cell`, `get`, `set`, `modify` and its handler `run`. Values are checked and
 * copied where they are passed (`State.set(c, v)` keeps `v` as it is then; `CYCLIC_TREE` for a value
 * that contains itself; class instances are refused), and nothing handed out can change a version.
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
export const State = Object.freeze({
  /** A cell named `name` (the key in `State.run`'s initial state and in the final snapshot). */
  cell: <T>(name: string): Cell<T> => {
    if (parseString('State.cell', 'name', name) === '') invalidArgument('State.cell', 'name', name, 'pass a non-empty name');
    return Object.freeze({ _tag: 'Cell' as const, name });
  },
  /** The cell's current version's value. */
  get: <T>(cell: Cell<T>): Program<T, 'State'> => perform('State', 'get', { cell: parseCell('State.get', cell) }),
  /** Writes a new version: a copy of `value` as it is now. */
  set: function set<T>(cell: Cell<T>, value: T): Program<void, 'State'> {
    const c = parseCell('State.set', cell);
    if (arguments.length < 2) invalidArgument('State.set', 'value', undefined, 'pass the new value: State.set(cell, value)');
    return perform('State', 'set', { cell: c, next: own('State.set', 'value', value, 'value') });
  },
  /** Writes a new version computed from the current one: an immer recipe for objects and arrays, or a function returning the new value. */
  modify: <T>(cell: Cell<T>, recipe: (draft: DraftOf<T>) => T | void): Program<void, 'State'> =>
    perform('State', 'modify', { cell: parseCell('State.modify', cell), recipe: parseFunction('State.modify', 'recipe', recipe) }),
  /** The version of the cell's current value: 0 for its first value (initial or first write), one more per write. */
  version: <T>(cell: Cell<T>): Program<number, 'State'> => perform('State', 'version', { cell: parseCell('State.version', cell) }),
  /** The handler: runs with `initial` cell values (copied now) and returns `[result, finalState]`. */
  run: function run<S extends Readonly<Record<string, unknown>>>(initial: S) {
    checkArity('State.run', arguments.length, 1, 'State.run(initial)(program)');
    if (!isPlainObject(initial)) invalidArgument('State.run', 'initial', initial, 'pass a plain object of initial cell values, e.g. State.run({ x: 0 }), or {}');
    const cells = Object.keys(initial).map((k) => [k, own('State.run', `initial value of cell "${k}"`, initial[k])] as const);
    return function run<A, E>(program: Program<A, E>): Program<readonly [A, StateSnapshot<S>], Exclude<E, 'State'>> {
      checkArity('State.run', arguments.length, 1, 'State.run(initial)(program)');
      return handle('State.run', program, stateHandler(cells) as Handler<unknown>);
    };
  },
} as const);
