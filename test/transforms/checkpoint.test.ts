/**
 * `checkpoint` (issue 9): derivatives unchanged in every mode and at every order, closures become
 * operands, the policy keeps what it names, and the tape holds one equation for the whole call.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  AdjointError,
  checkpoint,
  grad,
  hessian,
  item,
  jacfwd,
  jacrev,
  jvp,
  matmul,
  mul,
  printTape,
  Program,
  remat,
  run,
  sin,
  sum,
  tanh,
  type Tensor,
  tensor,
  toArray,
  vjp,
  vmap,
} from '../../src/index.js';
import { withEvaluateHook } from '../../src/core/primitive.js';
import { thrown } from '../reference.js';

const code = (f: () => unknown): string | undefined => (thrown(f) as AdjointError | undefined)?.code;

const W = tensor([
  [0.5, -1.2, 0.3],
  [0.8, 0.1, -0.7],
  [-0.4, 0.9, 0.6],
]);
const layer = (x: Tensor): Tensor => tanh(matmul(x, W));
const net = (l: (x: Tensor) => Tensor) => (x: Tensor) => sum(sin(l(l(l(x)))));

describe('checkpoint changes no derivative', () => {
  test.prop([fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 3, maxLength: 3 })], { seed: 11, numRuns: 20 })(
    'grad, jvp, jacrev, jacfwd and hessian equal the plain function’s, for every policy',
    (xs) => {
      const x = tensor([xs]);
      const plain = net(layer);
      for (const policy of ['nothing', 'matmuls', (name: string) => name === 'tanh'] as const) {
        const f = net(checkpoint(layer, { policy }));
        expect(toArray(grad(f)(x))).toEqual(toArray(grad(plain)(x)));
        expect(toArray(jvp(f, [x], [tensor([[1, -1, 2]])])[1])).toEqual(toArray(jvp(plain, [x], [tensor([[1, -1, 2]])])[1]));
        expect(toArray(jacrev(f)(x))).toEqual(toArray(jacrev(plain)(x)));
        expect(toArray(jacfwd(f)(x))).toEqual(toArray(jacfwd(plain)(x)));
        const [h, h0] = [hessian(f)(x), hessian(plain)(x)];
        (toArray(h) as number[][][][]).flat(3).forEach((v, i) => expect(v).toBeCloseTo((toArray(h0) as number[][][][]).flat(3)[i]!, 12));
      }
    },
  );

  it('grad of grad, and a checkpoint inside a checkpoint', () => {
    const f = (x: Tensor) => sum(checkpoint((y: Tensor) => mul(checkpoint(sin)(y), y))(x));
    const g = (x: Tensor) => sum(mul(sin(x), x));
    const x = tensor([0.3, 1.7]);
    expect(item(grad(grad((s: Tensor) => f(mul(x, s))))(1.2))).toBeCloseTo(item(grad(grad((s: Tensor) => g(mul(x, s))))(1.2)), 13);
  });

  it('a closed-over traced value is an operand of the equation: it gets its gradient', () => {
    const f = (w: Tensor) => sum(checkpoint((x: Tensor) => sin(mul(x, w)))(tensor([0.5, 1])));
    expect(item(grad(f)(2))).toBeCloseTo(0.5 * Math.cos(1) + Math.cos(2), 14);
    expect(item(grad(grad(f))(2))).toBeCloseTo(-0.25 * Math.sin(1) - Math.sin(2), 13);
  });

  it('pytrees in and out, and untraced calls run the function directly', () => {
    const f = checkpoint((p: { readonly a: Tensor; readonly b: Tensor }) => [mul(p.a, p.b), sin(p.a)] as const);
    const [y, pullback] = vjp((a: Tensor, b: Tensor) => f({ a, b }), tensor(2), tensor(3));
    expect(toArray(y[0])).toBe(6);
    const [ga, gb] = pullback([tensor(1), tensor(1)]);
    expect(item(ga)).toBeCloseTo(3 + Math.cos(2), 15);
    expect(item(gb)).toBe(2);
    expect(toArray(f({ a: tensor(2), b: tensor(3) })[0])).toBe(6);
  });
});

describe('what is stored', () => {
  it('printTape shows the call as one equation, with its policy and how many results it kept', () => {
    const text = printTape((x: Tensor) => sum(checkpoint(layer, { policy: 'matmuls' })(x)))(tensor([[1, 2, 3]]));
    expect(text).toMatch(/= checkpoint\[policy=matmuls saved=1\] w1/);
    expect(text).not.toMatch(/tanh/);
    expect(printTape((x: Tensor) => sum(checkpoint(layer)(x)))(tensor([[1, 2, 3]]))).toMatch(/checkpoint\[policy=nothing saved=0\]/);
  });

  it('remat is checkpoint', () => {
    expect(remat).toBe(checkpoint);
  });
});

describe('the policy', () => {
  /** The matmul evaluations while `f` runs (the hooks compose: checkpoint's own see them first). */
  const matmuls = (f: () => unknown): number => {
    let n = 0;
    withEvaluateHook((prim, compute) => {
      if (prim.name === 'matmul') n++;
      return compute();
    }, f);
    return n;
  };
  const two = (x: Tensor): Tensor => tanh(matmul(tanh(matmul(x, W)), W));
  const x = tensor([[1, 2, 3]]);

  it('is asked about every primitive the function applies on its first run, 0-d ones included', () => {
    for (const input of [tensor(0.3), tensor([0.3, 0.4])]) {
      const asked: string[] = [];
      const f = checkpoint((y: Tensor) => sin(mul(y, 2)), { policy: (name) => (asked.push(name), true) });
      const g = item(sum(grad((y: Tensor) => sum(f(y)))(input)));
      expect([...new Set(asked)]).toEqual(['mul', 'sin']);
      expect(g).toBeCloseTo(item(sum(grad((y: Tensor) => sum(sin(mul(y, 2))))(input))), 14);
    }
    // and for a function that returns a Program
    const asked: string[] = [];
    const p = checkpoint((y: Tensor) => Program.of(sin(mul(y, 2))), { policy: (name) => (asked.push(name), false) });
    run(grad((y: Tensor) => Program.map(p(y), sum))(tensor(0.3)));
    expect([...new Set(asked)]).toEqual(['mul', 'sin']);
  });

  it('an answer that is not a boolean is INVALID_ARGUMENT naming checkpoint, the policy and the primitive; a throwing policy throws', () => {
    for (const input of [tensor(0.3), tensor([0.3, 0.4])]) {
      const f = checkpoint((y: Tensor) => sin(mul(y, 2)), { policy: (() => 'yes') as never });
      const e = thrown(() => grad((y: Tensor) => sum(f(y)))(input)) as AdjointError;
      expect(e.code).toBe('INVALID_ARGUMENT');
      expect(e.message).toMatch(/^checkpoint: options\.policy is a function; it returned the string "yes" for the primitive "mul"; a policy returns true/);
      const boom = checkpoint((y: Tensor) => sin(mul(y, 2)), { policy: () => { throw new RangeError('boom'); } });
      expect(thrown(() => grad((y: Tensor) => sum(boom(y)))(input))).toBeInstanceOf(RangeError);
    }
    const p = checkpoint((y: Tensor) => Program.of(sin(y)), { policy: (() => 1) as never });
    expect(code(() => run(grad((y: Tensor) => Program.map(p(y), sum))(tensor(0.3))))).toBe('INVALID_ARGUMENT');
    expect((thrown(() => checkpoint(sin, { policy: 'everything' } as never)) as AdjointError).message).toMatch(/options\.policy is the string "everything"; pass 'nothing', 'matmuls' or a function/);
  });

  it('what it keeps is not computed again by the first-order reverse pass, for a plain function or one that returns a Program', () => {
    const g = (policy: 'nothing' | 'matmuls') => () => grad((y: Tensor) => sum(checkpoint(two, { policy })(y)))(x);
    expect(matmuls(g('nothing')) - matmuls(g('matmuls'))).toBe(2);
    expect(toArray(g('matmuls')())).toEqual(toArray(grad((y: Tensor) => sum(two(y)))(x)));
    const p = (policy: 'nothing' | 'matmuls') => () => run(grad((y: Tensor) => Program.map(checkpoint((z: Tensor) => Program.of(two(z)), { policy })(y), sum))(x));
    expect(matmuls(p('nothing')) - matmuls(p('matmuls'))).toBe(2);
    expect(toArray(p('matmuls')())).toEqual(toArray(grad((y: Tensor) => sum(two(y)))(x)));
  });

  it('kept results stand in only for the first run’s values: under vmap and at second order the recomputation computes them', () => {
    const cp = checkpoint(two, { policy: 'matmuls' });
    const xs = tensor([[1, 2, 3], [3, -1, 0.5], [0.5, 0.2, -2]]);
    const want = toArray(vmap(grad((y: Tensor) => sum(two(y))))(xs));
    expect(toArray(vmap(grad((y: Tensor) => sum(cp(y))))(xs))).toEqual(want);
    expect(toArray(grad((y: Tensor) => sum(vmap(cp)(y)))(xs))).toEqual(want);
    const h = toArray(hessian((y: Tensor) => sum(cp(y)))(x)) as number[][][][];
    const h0 = toArray(hessian((y: Tensor) => sum(two(y)))(x)) as number[][][][];
    h.flat(3).forEach((v, i) => expect(v).toBeCloseTo(h0.flat(3)[i]!, 12));
  });
});

describe('bad input', () => {
  it('typed errors', () => {
    expect(code(() => checkpoint(5 as never))).toBe('INVALID_ARGUMENT');
    expect(code(() => checkpoint(sin, { polcy: 'nothing' } as never))).toBe('UNKNOWN_OPTION');
    expect(code(() => checkpoint(sin, { policy: 'everything' } as never))).toBe('INVALID_ARGUMENT');
  });
});
