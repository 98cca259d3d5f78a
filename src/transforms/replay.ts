/**
 * Recomputation of a program, made observationally equal to its first run (the middle column of the
 * effect table in ../shared/DESIGN.md). `checkpoint` of a function that returns a Program runs it
 * once for real, its effects going to the handlers outside, while a recorder sees every request:
 *
 * - `Random` draws, `IO` results, `observe`d numbers and `State.version`s are recorded, in order
 *   (a draw batched by a vmap outside becomes an operand of the equation, so a batched
 *   recomputation gets it in its own lanes);
 * - `Log` entries are emitted now, once, and only counted;
 * - `State` reads of cells the function did not write yet are inputs (differentiable: they become
 *   operands of the equation); its writes stay local and are performed on the handler afterwards,
 *   as one write per version it made, so later reads and versions are what the first run made.
 *
 * The recomputation (under the pullback, at any order, batched) then runs the program with replay
 * handlers of its own: the same draws, the same IO results (thunks never run twice), no log
 * entries, state from the operands, and an `observe` that must read what it read the first time, or
 * `REPLAY_DIVERGED` names the effect (a function that is not deterministic).
 *
 * @since 0.1.0
 */
import { isDraftable, produce } from 'immer';
import { AdjointError } from '../core/errors.js';
import { item, type Tensor } from '../core/Tensor.js';
import { concreteOf } from '../core/Trace.js';
import { handle, type Handler, type Interception, type Program, run } from '../effects/Program.js';
import type { Cell } from '../effects/State.js';

/** One recorded answer, in the order the requests were made. */
export type RecordedEffect =
  | { readonly effect: 'Random' | 'IO'; readonly op: string; readonly value: unknown }
  | { readonly effect: 'Observe'; readonly value: number }
  | { readonly effect: 'Log'; readonly label: string }
  | { readonly effect: 'version'; readonly cell: string; readonly value: number };

/** What one real run recorded. */
export interface EffectRecord {
  readonly entries: RecordedEffect[];
  /** Cells read before being written: name -> the handler's value (traced or not), in order of first read. */
  readonly inputs: Map<string, unknown>;
  /** Cells written: name -> the last value written (from the probe run) and the number of writes. */
  readonly writes: Map<string, { value: unknown; count: number }>;
}

export function newRecord(): EffectRecord {
  return { entries: [], inputs: new Map(), writes: new Map() };
}

type StateRequest = { readonly cell: Cell<unknown>; readonly next?: { readonly value: unknown }; readonly recipe?: (draft: unknown) => unknown };


/** `State.modify`'s recipe applied as the handler applies it (an immer draft, or a new value returned). */
function applyRecipe(current: unknown, recipe: (draft: unknown) => unknown): unknown {
  if (isDraftable(current)) return produce(current, recipe as (d: unknown) => void);
  const result = recipe(current);
  if (result === undefined) throw new AdjointError('INVALID_ARGUMENT', 'State.modify', 'the recipe returned nothing for a value with no draft to edit; return the new value from the recipe');
  return result;
}

/** How the recording run sees the values effects hand it (see `recorder`). */
export interface RecordingView {
  /**
   * A state cell's value from the handler as the run sees it: without the derivatives of the
   * transforms outside (the value is an operand of the equation), but batched under vmap, so
   * the run's effects (log entries, checks) see every lane.
   */
  readonly standIn: (value: unknown) => unknown;
  /** A draw as the run sees it: a value batched by a vmap outside is one the run closes over. */
  readonly enter: (value: unknown) => unknown;
}

/**
 * The recorder of a real run (see the module comment), as a transform's effect interception.
 */
export function recorder(record: EffectRecord, view: RecordingView): (effect: string, op: string, payload: unknown) => Interception {
  // each input cell's stand-in, made once: the run sees one value per cell, as it would without the recorder
  const standIns = new Map<string, unknown>();
  const forward = (op: string, payload: unknown, after?: (v: unknown) => unknown): Interception => ({ _tag: 'Forward', op, payload, ...(after === undefined ? {} : { after }) });
  const answer = (value: unknown): Interception => ({ _tag: 'Answer', value });
  const local = new Map<string, unknown>();
  const write = (name: string, value: unknown): void => {
    local.set(name, value);
    const w = record.writes.get(name);
    record.writes.set(name, { value, count: (w?.count ?? 0) + 1 });
  };
  const input = (name: string, v: unknown): unknown => {
    if (!record.inputs.has(name)) {
      record.inputs.set(name, v);
      standIns.set(name, view.standIn(v));
    }
    return standIns.get(name);
  };
  return (effect, op, payload) => {
    switch (effect) {
      case 'State': {
        const { cell, next, recipe } = payload as StateRequest;
        const name = cell.name;
        switch (op) {
          case 'set':
            write(name, next!.value);
            return answer(undefined);
          case 'get':
            if (local.has(name)) return answer(local.get(name));
            if (record.inputs.has(name)) return answer(standIns.get(name));
            return forward('get', payload, (v) => input(name, v));
          case 'modify':
            if (local.has(name)) {
              write(name, applyRecipe(local.get(name), recipe!));
              return answer(undefined);
            }
            // the current value comes from the handler: ask it for a read instead
            return forward('get', { cell }, (v) => {
              write(name, applyRecipe(record.inputs.has(name) ? standIns.get(name) : input(name, v), recipe!));
              return undefined;
            });
          default:
            return forward(op, payload, (v) => {
              const n = (v as number) + (record.writes.get(name)?.count ?? 0);
              record.entries.push({ effect: 'version', cell: name, value: n });
              return n;
            });
        }
      }
      case 'Random':
      case 'IO':
        return forward(op, payload, (v) => {
          record.entries.push({ effect, op, value: v });
          return view.enter(v);
        });
      case 'Observe':
        return forward(op, payload, (v) => {
          record.entries.push({ effect: 'Observe', value: v as number });
          return v;
        });
      case 'Log':
        record.entries.push({ effect: 'Log', label: (payload as { label: string }).label });
        return forward(op, payload);
      default:
        return forward(op, payload);
    }
  };
}

function diverged(owner: string, what: string): AdjointError {
  return new AdjointError(
    'REPLAY_DIVERGED',
    owner,
    `the recomputation ${what}; a function that is recomputed (checkpoint, a checkpointed loop) must be deterministic given its inputs and effects: keep Math.random, clocks and other hidden state out of it (use Random and IO)`,
  );
}

/**
 * Runs `program` as a replay of `record`: every effect is answered from the record or the given
 * state values, so the run is synchronous and pure. Returns the program's value and the final value
 * of every cell it wrote. `where` names the recomputation for messages.
 */
export function replay(owner: string, program: Program<unknown, unknown>, record: EffectRecord, inputs: ReadonlyMap<string, unknown>): { value: unknown; state: Map<string, unknown> } {
  let cursor = 0;
  const next = (kind: string, op: string): RecordedEffect => {
    const e = record.entries[cursor];
    if (e === undefined) throw diverged(owner, `performed ${kind}.${op} (effect #${cursor + 1}), but the first run performed only ${record.entries.length} recorded effects`);
    if (e.effect !== kind) throw diverged(owner, `performed ${kind}.${op} as effect #${cursor + 1}, where the first run performed ${e.effect}`);
    cursor++;
    return e;
  };
  const state = new Map<string, unknown>(inputs);
  const handler = (effect: Handler<unknown>['effect'], handleOp: (op: string, payload: unknown) => unknown): Handler<unknown> => ({
    effect,
    init: () => undefined,
    handle: (op, payload) => ({ _tag: 'Resume', value: handleOp(op, payload), state: undefined }),
    onReturn: (v) => v,
    onAbort: (error) => {
      throw error;
    },
  });
  const handlers: Handler<unknown>[] = [
    handler('State', (op, payload) => {
      const { cell, next: written, recipe } = payload as StateRequest;
      const name = cell.name;
      switch (op) {
        case 'set':
          state.set(name, written!.value);
          return undefined;
        case 'get':
          if (!state.has(name)) throw diverged(owner, `read state cell "${name}", which the first run did not read`);
          return state.get(name);
        case 'modify':
          if (!state.has(name)) throw diverged(owner, `modified state cell "${name}", which the first run did not read`);
          state.set(name, applyRecipe(state.get(name), recipe!));
          return undefined;
        default: {
          const e = next('version', op) as { value: number };
          return e.value;
        }
      }
    }),
    handler('Random', (op) => (next('Random', op) as { value: unknown }).value),
    handler('IO', (op) => (next('IO', op) as { value: unknown }).value),
    handler('Observe', (op, payload) => {
      const e = next('Observe', op) as { value: number };
      const now = item(concreteOf(payload as Tensor));
      if (!(now === e.value || (Number.isNaN(now) && Number.isNaN(e.value)))) {
        throw diverged(owner, `observed ${now} at effect #${cursor}, where the first run observed ${e.value}, so it would take another branch`);
      }
      return e.value;
    }),
    handler('Log', (op) => {
      next('Log', op);
      return undefined;
    }),
    handler('Fail', () => {
      throw diverged(owner, 'failed, where the first run did not');
    }),
  ];
  let wrapped: Program<unknown, unknown> = program;
  for (const h of handlers) wrapped = handle('replay', wrapped, h) as Program<unknown, unknown>;
  const value = run(wrapped as Program<unknown, never>);
  if (cursor !== record.entries.length) throw diverged(owner, `performed ${cursor} recorded effects where the first run performed ${record.entries.length}`);
  return { value, state };
}
