/**
 * The `Log` effect: records labelled values in program order. What is recorded is always the primal
 * value (a concrete tensor, never a tracer), once per execution of the forward program, also when
 * the program is differentiated to second order.
 *
 * @since 0.1.0
 */
import { concreteOf, noteEffect } from '../core/Trace.js';
import { mapTensors } from '../core/Tree.js';
import { handle, type Handler, perform, type Program } from './Program.js';

/**
 * One log record.
 *
 * @category effects
 * @since 0.1.0
 */
export interface LogEntry {
  readonly label: string;
  readonly value: unknown;
}

function logHandler(emit: ((entry: LogEntry) => void) | undefined): Handler<LogEntry[]> {
  return {
    effect: 'Log',
    // private to one interpretation; frozen copies are what leave the handler
    init: () => [],
    handle(_op, payload, entries) {
      const { label, value } = payload as LogEntry;
      noteEffect(`Log.value ${JSON.stringify(label)}`, [value]);
      const entry: LogEntry = Object.freeze({ label, value: mapTensors(value, concreteOf) });
      if (emit === undefined) entries.push(entry);
      else emit(entry);
      return { _tag: 'Resume', value: undefined, state: entries };
    },
    onReturn: (value, entries) => (emit === undefined ? Object.freeze([value, Object.freeze(entries.slice())] as const) : value),
    onAbort: (error) => {
      throw error;
    },
  };
}

/**
 * The `Log` effect: `value`, and the handlers `collect` and `print`.
 *
 * @example
 * import { Program, Log, run, grad, mul, item } from 'adjoint'
 * const f = (x) => Program.gen(function* () {
 *   const y = mul(x, x)
 *   yield* Log.value('y', y)
 *   return y
 * })
 * const [g, logs] = run(Log.collect(grad(f)(3)))
 * assert.equal(item(g), 6)
 * assert.equal(item(logs[0].value), 9)
 *
 * @category effects
 * @since 0.1.0
 */
export const Log = {
  /** Records `value` (its primal) under `label`. */
  value: (label: string, value: unknown): Program<void, 'Log'> => perform('Log', 'value', { label, value }),
  /** The handler that returns `[result, entries]`. */
  collect: <A, E>(program: Program<A, E>): Program<readonly [A, ReadonlyArray<LogEntry>], Exclude<E, 'Log'>> =>
    handle(program, logHandler(undefined) as Handler<unknown>),
  /** The handler that prints each entry as it happens (`label: value`) and returns the result. */
  print: <A, E>(program: Program<A, E>): Program<A, Exclude<E, 'Log'>> =>
    handle(program, logHandler((e) => console.log(`${e.label}: ${String(e.value)}`)) as Handler<unknown>),
} as const;
