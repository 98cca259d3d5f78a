/**
 * The `Log` effect: records labelled values in program order. What is recorded is always the primal
 * value (a concrete tensor, never a tracer), once per execution of the forward program, also when
 * the program is differentiated to second order.
 *
 * An entry holds a copy of the value taken where `Log.value` is called (`ownedCopy`): arrays and
 * plain objects frozen, so changing the caller's object later does not change the log, and nothing
 * handed out can change an entry. Maps, Sets, typed arrays and Dates cannot be frozen: each run's
 * entries (each printed entry) get their own copy, the caller's to change, as `State` hands them
 * out. Values are data (`ownedCopy` refuses functions, symbols, class instances).
 *
 * @since 0.1.0
 */
import { checkArity, invalidArgument, parseString } from '../core/args.js';
import { concreteOf, noteEffect } from '../core/Trace.js';
import { lastCopyHeldMutable, mapTensors, ownedCopy } from '../core/Tree.js';
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

interface Record {
  readonly label: string;
  readonly value: unknown;
  /** The value holds Maps, Sets, typed arrays or Dates, copied again when handed out. */
  readonly mutable: boolean;
}

/** `String(v)`, or its tag for a value with no string form (an object with a null prototype). */
function show(v: unknown): string {
  try {
    return String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}

const handOut = (r: Record): LogEntry => Object.freeze({ label: r.label, value: r.mutable ? ownedCopy('Log.collect', 'value', r.value) : r.value });

function logHandler(emit: ((entry: LogEntry) => void) | undefined): Handler<Record[]> {
  return {
    effect: 'Log',
    // private to one interpretation; frozen copies are what leave the handler
    init: () => [],
    handle(_op, payload, records) {
      const { label, value, mutable } = payload as Record;
      noteEffect(`Log.value ${JSON.stringify(label)}`, [value]);
      const record: Record = { label, value: mapTensors(value, concreteOf, 'Log.value', 'value'), mutable };
      if (emit === undefined) records.push(record);
      else emit(handOut(record));
      return { _tag: 'Resume', value: undefined, state: records };
    },
    onReturn: (value, records) => (emit === undefined ? Object.freeze([value, Object.freeze(records.map(handOut))] as const) : value),
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
export const Log = Object.freeze({
  /** Records `value` (its primal; a copy, as it is now) under `label`. */
  value: function value(label: string, value: unknown): Program<void, 'Log'> {
    checkArity('Log.value', arguments.length, 2, 'Log.value(label, value)');
    const l = parseString('Log.value', 'label', label);
    // as State.set: a missing value (Log.value('loss')) is a mistake, not a record of undefined
    if (value === undefined) invalidArgument('Log.value', 'value', value, arguments.length < 2 ? 'pass the value to record: Log.value(label, value)' : 'pass the value to record, or null to record "nothing"');
    const copy = ownedCopy('Log.value', 'value', value);
    return perform('Log', 'value', { label: l, value: copy, mutable: lastCopyHeldMutable() } satisfies Record);
  },
  /** The handler that returns `[result, entries]`. */
  collect: function collect<A, E>(program: Program<A, E>): Program<readonly [A, ReadonlyArray<LogEntry>], Exclude<E, 'Log'>> {
    checkArity('Log.collect', arguments.length, 1, 'Log.collect(program)');
    return handle('Log.collect', program, logHandler(undefined) as Handler<unknown>);
  },
  /** The handler that prints each entry as it happens (`label: value`) and returns the result. */
  print: function print<A, E>(program: Program<A, E>): Program<A, Exclude<E, 'Log'>> {
    checkArity('Log.print', arguments.length, 1, 'Log.print(program)');
    return handle('Log.print', program, logHandler((e) => console.log(`${e.label}: ${show(e.value)}`)) as Handler<unknown>);
  },
} as const);
