/**
 * A `Fail` abort under a transform ends the program as a value, and it closes every trace it unwinds
 * through, not only the handlers' state: a tracer kept from the aborted run is leaked afterwards
 * (`LEAKED_TRACER`), never a live value that later ops would record onto a dead tape.
 */
import { isLeft } from 'fp-ts/Either';
import { describe, expect, it } from 'vitest';
import {
  type AdjointError,
  add,
  Checked,
  Fail,
  grad,
  item,
  jvp,
  mul,
  neg,
  Program,
  run,
  scalar,
  State,
  sum,
  Tensor,
  tensor,
  toArray,
} from '../../src/index.js';
import { thrown } from '../reference.js';

const codeOf = (f: () => unknown): string | undefined => (thrown(f) as AdjointError | undefined)?.code;

/** Runs `transform(f)` where `f` keeps `mul(x, x)` and then fails; returns the kept value. */
function keptFromAbort(transformed: (f: (x: Tensor) => Program<Tensor, 'Fail'>) => Program<unknown, 'Fail'>): Tensor {
  let kept: Tensor | undefined;
  const f = (x: Tensor) =>
    Program.gen(function* () {
      kept = mul(x, x);
      return yield* Checked.log(neg(x)); // x > 0: fails
    });
  const r = run(Fail.either(transformed(f)));
  expect(isLeft(r)).toBe(true);
  expect(kept).toBeDefined();
  return kept!;
}

describe('a Fail abort closes the traces it unwinds', () => {
  it('under grad, on the scalar path: the kept tracer raises LEAKED_TRACER in ops and reads', () => {
    const kept = keptFromAbort((f) => grad(f)(scalar(2)));
    expect(codeOf(() => add(kept, 1))).toBe('LEAKED_TRACER');
    expect(codeOf(() => mul(3, kept))).toBe('LEAKED_TRACER');
    expect(codeOf(() => item(kept))).toBe('LEAKED_TRACER');
    expect(codeOf(() => grad((y: Tensor) => mul(y, kept))(scalar(1)))).toBe('LEAKED_TRACER');
    // nothing is traced any more: plain ops give plain tensors, and a new grad works
    const plain = add(tensor(1), tensor(2));
    expect(Object.getPrototypeOf(plain)).toBe(Tensor.prototype);
    expect(item(grad((x: Tensor) => mul(x, x))(scalar(5)))).toBe(10);
  });

  it('under grad, on the tensor path', () => {
    const kept = keptFromAbort((f) => grad((x: Tensor) => Program.map(f(x), sum))(tensor([1, 2])));
    expect(codeOf(() => add(kept, tensor([1, 1])))).toBe('LEAKED_TRACER');
    expect(codeOf(() => toArray(kept))).toBe('LEAKED_TRACER');
  });

  it('under nested grads and under jvp', () => {
    const nested = keptFromAbort((f) => grad((x: Tensor) => grad(f)(x))(scalar(2)));
    expect(codeOf(() => add(nested, 1))).toBe('LEAKED_TRACER');
    const forward = keptFromAbort((f) => Program.map(jvp(f, [scalar(2)], [scalar(1)]), ([y]) => y));
    expect(codeOf(() => add(forward, 1))).toBe('LEAKED_TRACER');
  });

  it('with State handled outside: the state holds concrete values and the kept tracer is leaked', () => {
    const c = State.cell<Tensor>('c');
    let kept: Tensor | undefined;
    const f = (x: Tensor) =>
      Program.gen(function* () {
        kept = mul(x, 3);
        yield* State.set(c, kept);
        return yield* Checked.sqrt(neg(x));
      });
    const [r, final] = run(State.run({})(Fail.either(grad(f)(scalar(2)))));
    expect(isLeft(r)).toBe(true);
    expect(item(final.c as Tensor)).toBe(6);
    expect(codeOf(() => add(kept!, 1))).toBe('LEAKED_TRACER');
  });
});
