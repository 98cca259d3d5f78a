import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  abs,
  add,
  type BinaryOp,
  cos,
  div,
  equal,
  exp,
  expm1,
  greater,
  greaterEqual,
  item,
  less,
  lessEqual,
  log,
  log1p,
  maximum,
  minimum,
  mul,
  neg,
  notEqual,
  type Operand,
  pow,
  relu,
  scalar,
  sigmoid,
  sign,
  sin,
  sqrt,
  square,
  sub,
  tan,
  tanh,
  type Tensor,
  tensor,
  toArray,
  toTypedArray,
  where,
} from '../../src/index.js';
import * as E from '../../src/index.js';
import { expectTyped } from '../typed.js';
import * as ref from '../reference.js';

const SEED = { seed: 1, numRuns: 60 } as const;

/** Each unary op, its reference and the domain its inputs are drawn from. */
const UNARY: ReadonlyArray<[string, (x: Operand) => Tensor, (v: number) => number, fc.Arbitrary<number>]> = [
  ['neg', neg, ref.unaryRef.neg, ref.valueArb(-1e6, 1e6)],
  ['square', square, ref.unaryRef.square, ref.valueArb(-1e6, 1e6)],
  ['sqrt', sqrt, ref.unaryRef.sqrt, ref.valueArb(0, 1e6)],
  ['exp', exp, ref.unaryRef.exp, ref.valueArb(-50, 50)],
  ['log', log, ref.unaryRef.log, ref.valueArb(0, 1e6)],
  ['log1p', log1p, ref.unaryRef.log1p, ref.valueArb(-0.999, 1e6)],
  ['expm1', expm1, ref.unaryRef.expm1, ref.valueArb(-50, 50)],
  ['sin', sin, ref.unaryRef.sin, ref.valueArb(-100, 100)],
  ['cos', cos, ref.unaryRef.cos, ref.valueArb(-100, 100)],
  ['tan', tan, ref.unaryRef.tan, ref.valueArb(-1.5, 1.5)],
  ['tanh', tanh, ref.unaryRef.tanh, ref.valueArb(-30, 30)],
  ['sigmoid', sigmoid, ref.unaryRef.sigmoid, ref.valueArb(-60, 60)],
  ['relu', relu, ref.unaryRef.relu, ref.valueArb(-10, 10)],
  ['abs', abs, ref.unaryRef.abs, ref.valueArb(-10, 10)],
  ['sign', sign, ref.unaryRef.sign, fc.oneof(ref.valueArb(-10, 10), fc.constant(0))],
];

const BINARY: ReadonlyArray<[string, BinaryOp, (x: number, y: number) => number]> = [
  ['add', add, ref.binaryRef.add],
  ['sub', sub, ref.binaryRef.sub],
  ['mul', mul, ref.binaryRef.mul],
  ['div', div, ref.binaryRef.div],
  ['pow', pow, ref.binaryRef.pow],
  ['maximum', maximum, ref.binaryRef.maximum],
  ['minimum', minimum, ref.binaryRef.minimum],
  ['greater', greater, ref.binaryRef.greater],
  ['greaterEqual', greaterEqual, ref.binaryRef.greaterEqual],
  ['less', less, ref.binaryRef.less],
  ['lessEqual', lessEqual, ref.binaryRef.lessEqual],
  ['equal', equal, ref.binaryRef.equal],
  ['notEqual', notEqual, ref.binaryRef.notEqual],
];

/** Mostly small integers, so ties, equalities and zero divisors come up; some arbitrary doubles. */
const binaryValues = fc.oneof(ref.intValueArb, ref.valueArb(-4, 4));

const sameBits = (a: Tensor, b: Tensor): void => {
  expect([...a.shape]).toEqual([...b.shape]);
  expect(a.dtype).toBe(b.dtype);
  const x = toTypedArray(a);
  const y = toTypedArray(b);
  expect(x.length).toBe(y.length);
  for (let i = 0; i < x.length; i++) expect(Object.is(x[i], y[i])).toBe(true);
};

describe('unary ops match the reference', () => {
  for (const [name, op, f, domain] of UNARY) {
    test.prop([ref.arrArb(domain)], SEED)(`${name} over random shapes`, (a) => {
      const r = op(ref.toTensor(a));
      ref.expectTensor(r, ref.unary(a, f), { rtol: 1e-12, dtype: 'float64' });
    });
  }

  it('agree with hand-computed values', () => {
    expect(toArray(neg(tensor([1, -2.5])))).toEqual([-1, 2.5]);
    expect(toArray(square(tensor([[-3], [0.5]])))).toEqual([[9], [0.25]]);
    expect(toArray(sqrt(tensor([4, 2.25])))).toEqual([2, 1.5]);
    expect(item(exp(1))).toBeCloseTo(2.718281828459045, 15);
    expect(item(log(Math.E * Math.E))).toBeCloseTo(2, 15);
    expect(item(log1p(1e-20))).toBe(1e-20); // accurate near 0, unlike log(1 + x) which gives 0
    expect(item(expm1(1e-20))).toBe(1e-20);
    expect(item(sin(Math.PI / 2))).toBe(1);
    expect(item(cos(Math.PI))).toBe(-1);
    expect(item(tan(Math.PI / 4))).toBeCloseTo(1, 15);
    expect(item(tanh(0.5))).toBeCloseTo(0.46211715726000974, 15);
    expect(toArray(sigmoid(tensor([0, 800, -800])))).toEqual([0.5, 1, 0]);
    expect(item(sigmoid(-40))).toBeCloseTo(4.248354255291589e-18, 30); // no cancellation in the tail
    expect(toArray(relu(tensor([-1, 0, 2])))).toEqual([0, 0, 2]);
    expect(toArray(abs(tensor([-3, 3])))).toEqual([3, 3]);
    expect(toArray(sign(tensor([-2, 0, 5])))).toEqual([-1, 0, 1]);
  });
});

describe('IEEE 754 special values', () => {
  // [op, input, expected]; compared with Object.is, so the sign of zero counts
  const cases: ReadonlyArray<[string, (x: Operand) => Tensor, number, number]> = [
    ['log', log, -1, NaN],
    ['log', log, 0, -Infinity],
    ['log', log, -0, -Infinity],
    ['log', log, Infinity, Infinity],
    ['exp', exp, Infinity, Infinity],
    ['exp', exp, -Infinity, 0],
    ['exp', exp, -0, 1],
    ['sqrt', sqrt, -0, -0],
    ['sqrt', sqrt, -1, NaN],
    ['sqrt', sqrt, Infinity, Infinity],
    ['sqrt', sqrt, -Infinity, NaN],
    ['log1p', log1p, -1, -Infinity],
    ['log1p', log1p, -2, NaN],
    ['log1p', log1p, -0, -0],
    ['log1p', log1p, Infinity, Infinity],
    ['expm1', expm1, -Infinity, -1],
    ['expm1', expm1, Infinity, Infinity],
    ['expm1', expm1, -0, -0],
    ['sin', sin, Infinity, NaN],
    ['sin', sin, -0, -0],
    ['cos', cos, -Infinity, NaN],
    ['tan', tan, Infinity, NaN],
    ['tan', tan, -0, -0],
    ['tanh', tanh, Infinity, 1],
    ['tanh', tanh, -Infinity, -1],
    ['tanh', tanh, -0, -0],
    ['sigmoid', sigmoid, Infinity, 1],
    ['sigmoid', sigmoid, -Infinity, 0],
    ['relu', relu, Infinity, Infinity],
    ['relu', relu, -Infinity, 0],
    ['abs', abs, -Infinity, Infinity],
    ['abs', abs, -0, 0],
    ['sign', sign, -Infinity, -1],
    ['sign', sign, Infinity, 1],
    ['sign', sign, -0, -0],
    ['neg', neg, 0, -0],
    ['neg', neg, -Infinity, Infinity],
    ['square', square, -Infinity, Infinity],
    ['square', square, -0, 0],
  ];
  for (const [name, op, x, want] of cases) {
    it(`${name}(${Object.is(x, -0) ? '-0' : x}) is ${Object.is(want, -0) ? '-0' : want}, as a 0-d and as a 1-d tensor`, () => {
      expect(Object.is(item(op(x)), want)).toBe(true);
      expect(Object.is(toTypedArray(op(tensor([1, x])))[1], want)).toBe(true);
    });
  }

  it('NaN propagates through every unary op', () => {
    for (const [name, op] of UNARY) {
      const got = toTypedArray(op(tensor([NaN, NaN])));
      expect([name, Number.isNaN(got[0]), Number.isNaN(got[1])]).toEqual([name, true, true]);
      expect([name, Number.isNaN(item(op(NaN)))]).toEqual([name, true]);
    }
  });

  it('0-d values, computed without the kernels, match the kernels bit for bit', () => {
    // ops on numbers and concrete 0-d float64 tensors take a shortcut past the shape rule and the
    // kernel (elementwise.ts); the same values through a 2-element kernel call must agree exactly
    const values = [NaN, 0, -0, Infinity, -Infinity, 1.5, -2, 1e-300];
    const same = (a: number, b: number): boolean => Object.is(a, b);
    for (const [name, op] of UNARY) {
      for (const v of values) expect([name, v, same(item(op(scalar(v))), toTypedArray(op(tensor([v, 1])))[0]!)]).toEqual([name, v, true]);
    }
    for (const [name, op] of BINARY) {
      for (const u of values) {
        for (const v of values) {
          const kernel = toTypedArray(op(tensor([u, 1]), tensor([v, 1])))[0]!;
          expect([name, u, v, same(item(op(u, v)), kernel) && same(item(op(scalar(u), scalar(v))), kernel)]).toEqual([name, u, v, true]);
        }
      }
    }
  });

  it('binary arithmetic follows IEEE for zeros, infinities and NaN', () => {
    const is = (t: Tensor, want: number): void => expect(Object.is(item(t), want)).toBe(true);
    is(div(1, 0), Infinity);
    is(div(-1, 0), -Infinity);
    is(div(1, -0), -Infinity);
    is(div(0, 0), NaN);
    is(add(Infinity, -Infinity), NaN);
    is(sub(Infinity, Infinity), NaN);
    is(mul(0, Infinity), NaN);
    is(mul(-1, 0), -0);
    is(add(-0, -0), -0);
    is(add(NaN, 1), NaN);
    is(mul(1, NaN), NaN);
    is(pow(NaN, 0), 1);
    is(pow(0, -1), Infinity);
    is(pow(-0, -1), -Infinity);
    is(pow(2, Infinity), Infinity);
    is(pow(0.5, Infinity), 0);
    is(pow(Infinity, -1), 0);
    is(pow(-8, 1 / 3), NaN);
    is(maximum(NaN, 1), NaN);
    is(maximum(1, NaN), NaN);
    is(minimum(NaN, 1), NaN);
    is(minimum(1, NaN), NaN);
    is(maximum(-Infinity, 3), 3);
    is(minimum(Infinity, 3), 3);
  });

  it('comparisons with NaN are false except notEqual; -0 equals 0', () => {
    const x = tensor([NaN, NaN, 1]);
    const y = tensor([NaN, 1, NaN]);
    expect(toArray(greater(x, y))).toEqual([0, 0, 0]);
    expect(toArray(greaterEqual(x, y))).toEqual([0, 0, 0]);
    expect(toArray(less(x, y))).toEqual([0, 0, 0]);
    expect(toArray(lessEqual(x, y))).toEqual([0, 0, 0]);
    expect(toArray(equal(x, y))).toEqual([0, 0, 0]);
    expect(toArray(notEqual(x, y))).toEqual([1, 1, 1]);
    expect(toArray(equal(tensor([-0, Infinity]), tensor([0, Infinity])))).toEqual([1, 1]);
  });
});

describe('binary ops broadcast like NumPy', () => {
  for (const [name, op, f] of BINARY) {
    test.prop([ref.broadcastableArrsArb(2, binaryValues)], SEED)(`${name} matches the reference`, ([a, b]) => {
      const x = ref.toTensor(a!);
      const y = ref.toTensor(b!);
      const r = op(x, y);
      ref.expectTensor(r, ref.binary(a!, b!, f), { dtype: 'float64' });
      // the data-last form is the same op with the arguments flipped back
      sameBits(op(y)(x), r);
    });

    test.prop([ref.broadcastableArrsArb(2, ref.specialValueArb)], SEED)(`${name} propagates NaN, ±Infinity and -0 like the reference`, ([a, b]) => {
      ref.expectTensor(op(ref.toTensor(a!), ref.toTensor(b!)), ref.binary(a!, b!, f));
    });

    test.prop([ref.arrArb(binaryValues), binaryValues], SEED)(`${name} with a plain number on either side`, (a, v) => {
      const x = ref.toTensor(a);
      const s: ref.Arr = { shape: [], data: [v] };
      ref.expectTensor(op(x, v), ref.binary(a, s, f), { dtype: 'float64' });
      ref.expectTensor(op(v, x), ref.binary(s, a, f), { dtype: 'float64' });
    });
  }

  it('broadcasts a column against a row', () => {
    expect(toArray(sub(tensor([[10], [20]]), tensor([1, 2, 3])))).toEqual([
      [9, 8, 7],
      [19, 18, 17],
    ]);
    expect(add(tensor([[1, 2, 3]]), tensor([[[1]], [[2]]])).shape).toEqual([2, 1, 3]);
    expect(mul(tensor([2, 3]), tensor([[1], [0], [1]])).shape).toEqual([3, 2]);
    expect(add(tensor([[1, 2, 3]]), tensor([[]], { shape: [0, 1] })).shape).toEqual([0, 3]);
  });

  it('two numbers give a 0-d float64 tensor', () => {
    const r = add(1, 2);
    expect(r.shape).toEqual([]);
    expect(r.dtype).toBe('float64');
    expect(item(r)).toBe(3);
    expect(item(mul(3)(4))).toBe(12);
    expect(item(sub(3)(4))).toBe(1); // data-last: sub(3)(4) = 4 - 3
    expect(item(div(2)(1))).toBe(0.5);
  });
});

describe('where', () => {
  const condValues = fc.constantFrom(0, 1, 2, -0, NaN, -1);
  test.prop([ref.broadcastableShapesArb(3).chain(([c, a, b]) => fc.tuple(ref.arrOfShape(c!, condValues), ref.arrOfShape(a!), ref.arrOfShape(b!)))], SEED)(
    'selects with 3-way broadcasting',
    ([c, a, b]) => {
      const r = where(ref.toTensor(c), ref.toTensor(a), ref.toTensor(b));
      ref.expectTensor(r, ref.where(c, a, b), { dtype: 'float64' });
    },
  );

  it('takes numbers for any argument', () => {
    expect(toArray(where(tensor([1, 0, 1]), tensor([1, 2, 3]), -1))).toEqual([1, -1, 3]);
    expect(toArray(where(tensor([[1], [0]]), 5, tensor([7, 8])))).toEqual([
      [5, 5],
      [7, 8],
    ]);
    expect(item(where(0, 1, 2))).toBe(2);
  });
});

describe('float32', () => {
  // One float32 rounding of the float64 result: relative error ≤ 2⁻²⁴ ≈ 6e-8; atol covers subnormals.
  const F32 = { rtol: 1e-6, atol: 1e-37, dtype: 'float32' } as const;
  const sample: ReadonlyArray<[string, (x: Operand) => Tensor, (v: number) => number, fc.Arbitrary<number>]> = [
    ['exp', exp, ref.unaryRef.exp, ref.float32ValueArb(-20, 20)],
    ['log', log, ref.unaryRef.log, ref.float32ValueArb(1e-6, 1e6)],
    ['sqrt', sqrt, ref.unaryRef.sqrt, ref.float32ValueArb(0, 1e6)],
    ['tanh', tanh, ref.unaryRef.tanh, ref.float32ValueArb(-10, 10)],
    ['sigmoid', sigmoid, ref.unaryRef.sigmoid, ref.float32ValueArb(-30, 30)],
    ['sin', sin, ref.unaryRef.sin, ref.float32ValueArb(-10, 10)],
    ['square', square, ref.unaryRef.square, ref.float32ValueArb(-1e3, 1e3)],
  ];
  for (const [name, op, f, domain] of sample) {
    test.prop([ref.arrArb(domain)], SEED)(`${name} on float32 stays float32 within rounding`, (a) => {
      ref.expectTensor(op(ref.toTensor(a, 'float32')), ref.unary(a, f), F32);
    });
  }

  const binarySample: ReadonlyArray<[string, BinaryOp, (x: number, y: number) => number]> = [
    ['add', add, ref.binaryRef.add],
    ['sub', sub, ref.binaryRef.sub],
    ['mul', mul, ref.binaryRef.mul],
    ['div', div, ref.binaryRef.div],
    ['pow', pow, ref.binaryRef.pow],
    ['maximum', maximum, ref.binaryRef.maximum],
    ['less', less, ref.binaryRef.less],
  ];
  for (const [name, op, f] of binarySample) {
    test.prop([ref.broadcastableArrsArb(2, ref.float32ValueArb(0.125, 8))], SEED)(`${name} on float32 broadcasts and stays float32`, ([a, b]) => {
      ref.expectTensor(op(ref.toTensor(a!, 'float32'), ref.toTensor(b!, 'float32')), ref.binary(a!, b!, f), F32);
    });
  }

  it('mixed float32/float64 tensors promote to float64, exactly', () => {
    const x32 = tensor([0.1, 0.2], { dtype: 'float32' });
    const x64 = tensor([0.1, 0.2]);
    const r = add(x32, x64);
    expect(r.dtype).toBe('float64');
    expect(toArray(r)).toEqual([Math.fround(0.1) + 0.1, Math.fround(0.2) + 0.2]);
    expect(mul(x64, x32).dtype).toBe('float64');
    expect(greater(x32, x64).dtype).toBe('float64');
    expect(add(x32, scalar(1)).dtype).toBe('float64'); // a 0-d float64 tensor is not a weak number
    expect(where(1, x32, x64).dtype).toBe('float64');
  });

  it('a plain number next to a float32 tensor is a float32 constant (weak typing)', () => {
    const x32 = tensor([1, 3], { dtype: 'float32' });
    for (const r of [mul(x32, 0.1), mul(0.1, x32), mul(0.1)(x32), add(x32, 1), pow(x32, 2), greater(x32, 2), where(greater(x32, 2), x32, 0)]) {
      expect(r.dtype).toBe('float32');
    }
    // the constant itself is rounded to float32 before the product
    expect(Array.from(toTypedArray(mul(x32, 0.1)))).toEqual([Math.fround(0.1), Math.fround(3 * Math.fround(0.1))]);
    expect(toTypedArray(mul(x32, 0.1))).toBeInstanceOf(Float32Array);
    expect(neg(x32).dtype).toBe('float32');
    expect(where(tensor([1, 0]), x32, -1).dtype).toBe('float32');
  });
});

describe('the boundary: elementwise ops check every argument (issue 8 §2)', () => {
  const loose = (f: unknown): ((...a: unknown[]) => unknown) => f as (...a: unknown[]) => unknown;

  it('astype needs a dtype (astype(x, undefined) used to give dtype undefined and float32 data)', () => {
    expectTyped(() => loose(E.astype)(E.tensor([1.1]), undefined), 'INVALID_DTYPE', 'astype', ['dtype is undefined', "'float64' or 'float32'"]);
    expectTyped(() => loose(E.astype)(E.tensor([1.1]), 'int32'), 'INVALID_DTYPE', 'astype', ['"int32"']);
    expectTyped(() => loose(E.astype)(E.tensor([1.1]), 'float32', 'extra'), 'INVALID_ARGUMENT', 'astype', ['got 3 arguments']);
  });

  it('binary ops are not variadic: a third operand is an error, not silently dropped', () => {
    expectTyped(() => loose(E.add)(1, 2, 3), 'INVALID_ARGUMENT', 'add', ['got 3 arguments', 'add(y) for the data-last form']);
    expectTyped(() => loose(E.where)(1, 2, 3, 4), 'INVALID_ARGUMENT', 'where', ['got 4 arguments']);
    expectTyped(() => loose(E.matmul)(E.eye(2), E.eye(2), E.eye(2)), 'INVALID_ARGUMENT', 'matmul', ['got 3 arguments']);
    expect(E.toArray((loose(E.mul)(2) as (x: E.Tensor) => E.Tensor)(E.tensor(3)))).toBe(6);
  });

  it('unary ops take one argument: log(x, 10) is not a base-10 log, and xs.map(exp) would pass the index', () => {
    expectTyped(() => loose(E.log)(E.tensor([100]), 10), 'INVALID_ARGUMENT', 'log', ['got 2 arguments', 'xs.map((x) => log(x))']);
    expectTyped(() => [E.tensor(1)].map(loose(E.exp)), 'INVALID_ARGUMENT', 'exp', ['got 3 arguments']);
    expect(E.toArray([E.tensor(0)].map((x) => E.exp(x))[0]!)).toBe(1);
  });

  it('operands are tensors or numbers: arrays, strings, booleans, bigints are NOT_NUMERIC naming what they got', () => {
    expectTyped(() => loose(E.add)(E.tensor([1]), [1]), 'NOT_NUMERIC', 'add', ['the array [1]', 'tensor(...)']);
    expectTyped(() => loose(E.exp)('1'), 'NOT_NUMERIC', 'exp', ['the string "1"']);
    expectTyped(() => loose(E.mul)(true, 1), 'NOT_NUMERIC', 'mul', ['the boolean true']);
    expectTyped(() => loose(E.outer)(1n, 1), 'NOT_NUMERIC', 'outer', ['the bigint 1n']);
  });
});
