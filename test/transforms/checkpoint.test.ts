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
  remat,
  sin,
  sum,
  tanh,
  type Tensor,
  tensor,
  toArray,
  vjp,
} from '../../src/index.js';
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

describe('bad input', () => {
  it('typed errors', () => {
    expect(code(() => checkpoint(5 as never))).toBe('INVALID_ARGUMENT');
    expect(code(() => checkpoint(sin, { polcy: 'nothing' } as never))).toBe('UNKNOWN_OPTION');
    expect(code(() => checkpoint(sin, { policy: 'everything' } as never))).toBe('INVALID_ARGUMENT');
  });
});
