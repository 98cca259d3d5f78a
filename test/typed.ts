/**
 * The assertion the boundary tests share: a call throws a typed error (`AdjointError` or the given
 * subclass) with the expected code, from the expected op, with a message that starts with the op and
 * contains every fragment, and nothing was returned.
 */
import { expect } from 'vitest';
import { AdjointError, type ErrorCode } from '../src/index.js';

const NOTHING = Symbol('nothing returned');

export function expectTyped(
  f: () => unknown,
  code: ErrorCode,
  op: string,
  fragments: ReadonlyArray<string | RegExp> = [],
  cls: abstract new (...args: never[]) => AdjointError = AdjointError,
): AdjointError {
  let result: unknown = NOTHING;
  let caught: unknown;
  try {
    result = f();
  } catch (e) {
    caught = e;
  }
  expect(result, 'the call returned instead of throwing').toBe(NOTHING);
  expect(caught).toBeInstanceOf(cls);
  const e = caught as AdjointError;
  expect([e.code, e.op]).toEqual([code, op]);
  expect(e.message.startsWith(`${op}: `)).toBe(true);
  for (const fragment of fragments) {
    if (typeof fragment === 'string') expect(e.message).toContain(fragment);
    else expect(e.message).toMatch(fragment);
  }
  return e;
}
