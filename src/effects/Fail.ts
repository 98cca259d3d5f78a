/**
 * The `Fail` effect: a failure ends the program as a value, not an exception. `Fail.raise(e)` fails;
 * the checked ops (`Checked.log`, `Checked.sqrt`, ...) fail with a `DomainError` instead of producing
 * NaN; `Fail.either` turns the program into an `Either<Error, A>`. Under a transform, a failure is
 * the failure, not a gradient: the transform's result is never computed.
 *
 * @since 0.1.0
 */
import { type Either, left, right } from 'fp-ts/lib/Either.js';
import { checkArity } from '../core/args.js';
import { AdjointError, DomainError } from '../core/errors.js';
import { dataOf, type Tensor } from '../core/Tensor.js';
import { lanesOf } from '../core/BatchTrace.js';
import { asTensor } from '../core/creation.js';
import { concreteOf, ssaName } from '../core/Trace.js';
import { div, log, log1p, type Operand, sqrt } from '../rules/elementwise.js';
import { defer, fail, handle, type Handler, of, type Program } from './Program.js';

const failHandler: Handler<undefined> = {
  effect: 'Fail',
  init: () => undefined,
  handle: (_op, error) => ({ _tag: 'Abort', error }),
  onReturn: (value) => right(value),
  onAbort: (error) => left(error),
};

/**
 * The `Fail` effect: `raise`, and the handler `either`.
 *
 * @example
 * import { Fail, Checked, run } from 'adjoint'
 * const r = run(Fail.either(Checked.log(-1)))
 * assert.equal(r._tag, 'Left')
 *
 * @category effects
 * @since 0.1.0
 */
export const Fail = Object.freeze({
  /** Ends the program with `error` (an `Error`). */
  raise: fail,
  /** The handler: `Right(result)`, or `Left(error)` for the first failure. */
  either: function either<A, E>(program: Program<A, E>): Program<Either<Error, A>, Exclude<E, 'Fail'>> {
    checkArity('Fail.either', arguments.length, 1, 'Fail.either(program)');
    return handle('Fail.either', program, failHandler as Handler<unknown>);
  },
} as const);

/** The first element of `x` (concrete value) that fails `ok`, or -1. */
function firstBad(x: Tensor, ok: (v: number) => boolean): number {
  const data = dataOf(concreteOf(x));
  for (let i = 0; i < data.length; i++) if (!ok(data[i]!)) return i;
  return -1;
}

/** The failure for element `bad` of `t`, or undefined when `bad` is -1. */
function domainFailure(op: string, t: Tensor, bad: number, requirement: string): Program<never, 'Fail'> | undefined {
  return bad < 0 ? undefined : fail(new DomainError(op, ssaName(t), bad, dataOf(concreteOf(t))[bad]!, requirement));
}

const finite = Number.isFinite;

function checked(op: string, requirement: string, ok: (v: number) => boolean, x: Operand, compute: (t: Tensor) => Tensor): Program<Tensor, 'Fail'> {
  // the operand is checked where the caller passes it; its values are read when the program runs
  const t = asTensor(op, x);
  return defer(() => {
    refuseSplitLanes(op, t, ok);
    return domainFailure(op, t, firstBad(t, ok), requirement) ?? of(compute(t));
  });
}

/**
 * Under vmap a failure ends the program for every lane: lanes that disagree (some fail, some do
 * not) have no single outcome, and that is `EFFECT_REFUSED`, naming a lane of each kind.
 */
function refuseSplitLanes(op: string, t: Tensor, ok: (v: number) => boolean): void {
  const lanes = lanesOf(t, concreteOf);
  if (lanes === undefined || lanes.size === 0) return;
  const data = dataOf(lanes.values);
  const per = data.length / lanes.size;
  const failing: number[] = [];
  for (let lane = 0; lane < lanes.size; lane++) {
    for (let i = 0; i < per; i++) {
      if (!ok(data[lane * per + i]!)) {
        failing.push(lane);
        break;
      }
    }
  }
  if (failing.length > 0 && failing.length < lanes.size) {
    const passing = Array.from({ length: lanes.size }, (_, i) => i).find((i) => !failing.includes(i))!;
    throw new AdjointError(
      'EFFECT_REFUSED',
      op,
      `under vmap, lane ${failing[0]} fails its domain check and lane ${passing} does not; a failure ends the program for every lane, so the lanes must agree: guard the input with where (or check before vmap)`,
    );
  }
}

/**
 * Partial ops that fail with a `DomainError` (the `Fail` effect) instead of returning NaN or
 * ±Infinity: every input element must be finite and inside the op's domain (and a quotient must not
 * overflow).
 *
 * @example
 * import { Checked, Fail, run, item } from 'adjoint'
 * const ok = run(Fail.either(Checked.sqrt(4)))
 * assert.equal(ok._tag === 'Right' && item(ok.right), 2)
 * assert.equal(run(Fail.either(Checked.div(1, NaN)))._tag, 'Left')
 *
 * @category effects
 * @since 0.1.0
 */
export const Checked = Object.freeze({
  /** `log(x)`; fails unless every element is finite and > 0. */
  log: (x: Operand): Program<Tensor, 'Fail'> => checked('Checked.log', 'finite positive inputs', (v) => v > 0 && finite(v), x, log),
  /** `log1p(x)`; fails unless every element is finite and > -1. */
  log1p: (x: Operand): Program<Tensor, 'Fail'> => checked('Checked.log1p', 'finite inputs above -1', (v) => v > -1 && finite(v), x, log1p),
  /** `sqrt(x)`; fails unless every element is finite and >= 0. */
  sqrt: (x: Operand): Program<Tensor, 'Fail'> => checked('Checked.sqrt', 'finite non-negative inputs', (v) => v >= 0 && finite(v), x, sqrt),
  /** `x / y`; fails where `x` is not finite, `y` is 0 or not finite, or the quotient overflows. */
  div: (x: Operand, y: Operand): Program<Tensor, 'Fail'> => {
    const op = 'Checked.div';
    const xt = asTensor(op, x);
    const yt = asTensor(op, y);
    return defer(() => {
      const bad = domainFailure(op, xt, firstBad(xt, finite), 'a finite dividend') ?? domainFailure(op, yt, firstBad(yt, (v) => v !== 0 && finite(v)), 'a finite, non-zero divisor');
      if (bad !== undefined) return bad;
      const q = div(xt, yt);
      return domainFailure(op, q, firstBad(q, finite), 'a quotient that fits in its dtype') ?? of(q);
    });
  },
} as const);
