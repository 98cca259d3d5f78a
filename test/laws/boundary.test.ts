/**
 * The boundary law: every exported function, fed malformed arguments (wrong types, shapes, axes,
 * options with unknown keys, NaN and ±Infinity, cyclic objects, huge sizes, tampered, forged and
 * proxied tensors and programs, async and throwing callbacks), either returns a well-formed result or throws an `AdjointError` whose code
 * is in `ERROR_CODES`: never a TypeError, a RangeError or another untyped error, never a hang (a
 * promise, from `runPromise` or an async callback, is awaited and judged the same way).
 *
 * The exports are enumerated from `src/index.ts` (functions, and the functions inside exported
 * namespaces such as `random`, `Program` and `State`), so a new export is fuzzed without editing this
 * file. `CALLS` says, for the few that need it, what kind of value each argument usually is (a
 * transform usually gets a function first), so the fuzz reaches past the first argument check. A
 * returned function is called in turn, and a returned program is run under every handler.
 */
import { fc, test } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as lib from '../../src/index.js';
import {
  AdjointError,
  add,
  ERROR_CODES,
  Fail,
  grad,
  IO,
  Log,
  mul,
  observe,
  Observe,
  Program,
  random,
  Random,
  run,
  setCheckNumerics,
  State,
  sum,
  Tensor,
  tensor,
  toTypedArray,
  zeros,
} from '../../src/index.js';
import { isIntact, isTensor } from '../../src/core/Tensor.js';
import { expectTyped } from '../typed.js';

/** What a fuzzed callback throws on purpose: the library must let it through untouched. */
class UserError extends Error {}

const cell = State.cell<unknown>('fuzz');

/** A tensor whose public shape was redefined after it was made. */
function tampered(): Tensor {
  const t = tensor([1, 2]);
  try {
    Object.defineProperty(t, 'shape', { value: Object.freeze([5]) });
  } catch {
    // a non-extensible tensor refuses the redefinition: just as good
  }
  return t;
}

function cyclicObject(): unknown {
  const o: Record<string, unknown> = { a: 1 };
  o.self = o;
  return o;
}

function cyclicArray(): unknown {
  const a: unknown[] = [1];
  a.push(a);
  return a;
}

// Numbers: small ones (so that shapes stay small) and huge ones (so that a shape using one is beyond
// what any buffer can hold), never the middle ground that would allocate gigabytes for real.
const NUMBERS = [0, 1, 2, 3, -1, -2, 0.5, 1.5, NaN, Infinity, -Infinity, -0, 1e10, -1e10, 2 ** 53, 1e308];

/** Fresh values on every draw (some are mutable: the library must not change them, nor trip on them). */
const THUNKS: ReadonlyArray<() => unknown> = [
  ...NUMBERS.map((n) => () => n),
  () => '',
  () => 'a',
  () => 'float32',
  () => 'float64',
  () => true,
  () => false,
  () => null,
  () => undefined,
  () => 1n,
  () => Symbol('s'),
  () => tensor(1),
  () => tensor([1, 2, 3]),
  () => tensor([[1, 2], [3, 4]]),
  () => tensor([0.5, -1], 'float32'),
  () => tensor([NaN, Infinity]),
  () => zeros([0]),
  () => zeros([2, 0]),
  tampered,
  // objects that pass instanceof but are not tensors or programs: refused as any other non-tensor
  () => Object.create(Tensor.prototype),
  () => new Proxy(tensor([1, 2]), {}),
  () => new Proxy(tensor(3), {}),
  () => Object.create(Object.getPrototypeOf(Program.of(1))),
  () => new Proxy(Program.of(1), {}),
  () => Object.create({ axis: 0 }),
  () => [],
  () => [1],
  () => [0, 1],
  () => [2, 3],
  () => [-1, 0],
  () => [1, 1],
  () => [[1, 1]],
  () => [[0, 1], [1, 0]],
  () => [1e10, 1e10],
  () => [0.5],
  () => ['a'],
  // eslint-disable-next-line no-sparse-arrays
  () => [, 1],
  () => [tensor(1), tensor(2)],
  cyclicArray,
  cyclicObject,
  () => ({}),
  () => Object.create(null),
  () => ({ axis: 0 }),
  () => ({ axis: -1, keepdims: true }),
  () => ({ axis: [0, 0] }),
  () => ({ axes: 1 }),
  () => ({ keepdims: 'yes' }),
  () => ({ dtype: 'int32' }),
  () => ({ dtype: 'float32' }),
  () => ({ shape: [2, 1] }),
  () => ({ argnums: [0, 0] }),
  () => ({ argnums: 1 }),
  () => ({ hasAux: true }),
  () => ({ order: 0.5 }),
  () => ({ order: 2, seed: 3 }),
  () => ({ modes: ['rev'] }),
  () => ({ mean: 1, std: 1e308 }),
  () => ({ minval: 1, maxval: 0 }),
  () => ({ length: 1e10 }),
  () => ({ length: -1 }),
  () => ({ length: 2, 0: 1, 1: 2 }),
  () => new DataView(new ArrayBuffer(8)),
  () => new Float32Array([1, 2]),
  () => new Int32Array([3]),
  () => new Map([[1, 2]]),
  () => new Date(0),
  () => random.key(0),
  () => cell,
  ...programThunks(),
  ...functionThunks(),
];

function programThunks(): Array<() => unknown> {
  return [
    () => Program.of(1),
    () => Program.of(tensor([1, 2])),
    () => Random.normal([2]),
    () => State.get(cell),
    () => Log.value('fuzz', 1),
    () => Fail.raise(new UserError('raised')),
    () => IO.call(() => 1),
    () => observe(tensor(1)),
  ];
}

/**
 * A callback using JavaScript operators: a tensor refuses them with a typed error, but other values
 * can make the operator itself throw (a Symbol's TypeError), and that is the callback's own error.
 */
function userCode(f: (x: unknown) => unknown): (x: unknown) => unknown {
  return (x) => {
    try {
      return f(x);
    } catch (e) {
      if (e instanceof AdjointError) throw e;
      throw new UserError(`the callback's own error: ${String(e)}`);
    }
  };
}

/** Callbacks: well-behaved ones, and ones that misbehave in every way a user's can. */
function functionThunks(): Array<() => unknown> {
  return [
    () => (x: unknown) => x,
    () => (x: Tensor) => mul(x, x),
    () => (x: Tensor) => sum(x),
    () => (x: Tensor, y: Tensor) => add(x, y),
    () => () => 5,
    () => () => 'a',
    () => (x: unknown) => [x, { a: x }],
    () => (x: Tensor) => [sum(x), { aux: 1 }],
    () => () => {
      throw new UserError('thrown by a callback');
    },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    () => userCode((x: any) => x * x),
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    () => userCode((x: any) => (x > 0 ? x : 0)),
    () => (x: unknown) => Program.of(x),
    () => async (x: unknown) => x,
    () => async (x: Tensor) => mul(x, 'a' as unknown as Tensor),
    () => (x: Tensor) => Program.map(Random.normal([]), (e) => mul(x, e)),
    () => () => State.get(cell),
    () => () => undefined,
    () => () => cyclicObject(),
    () =>
      function* () {
        yield 1;
      },
    () => class Foo {},
  ];
}

const anyValue = fc.constantFrom(...THUNKS).map((make) => make());
const functionValue = fc.constantFrom(...functionThunks()).map((make) => make());
const keyValue = fc.oneof(fc.constant(random.key(1)), anyValue);
const tensorValue = fc.oneof(fc.constantFrom(() => tensor([1, 2]), () => tensor([[1, 2], [3, 4]]), () => tensor(3)).map((make) => make()), anyValue);
const imageValue = fc.oneof(
  fc.constantFrom(() => tensor([[[1, 2, 3, 4, 5]]]), () => zeros([2, 2, 4, 4]), () => zeros([1, 1, 3])).map((make) => make()),
  tensorValue,
);
const kernelValue = fc.oneof(fc.constantFrom(() => tensor([[[1, 0, -1]]]), () => zeros([2, 2, 3, 3]), () => zeros([4, 1, 2, 2])).map((make) => make()), anyValue);
const indexValue = fc.oneof(fc.constantFrom(() => tensor([[1], [0]]), () => tensor([0, 1]), () => [[0, 1]], () => tensor([2, -1]), () => 0).map((make) => make()), anyValue);
const transformationValue = fc.oneof(
  fc.constantFrom(() => lib.optim.sgd(0.1), () => lib.optim.adam(0.1), () => lib.optim.clipByGlobalNorm(1)).map((make) => make()),
  anyValue,
);
/** `undefined` (an omitted trailing argument) half the time, else `a`. */
const maybe = (a: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> => fc.oneof(fc.constant(undefined), a);
const countsValue = fc.oneof(fc.constantFrom(1, 2, 3, [1, 2], [2, 1]), anyValue);
const axisValue = fc.oneof(fc.constantFrom(0, 1, -1, { axis: 0 }, { axis: -1 }), anyValue);
const learningRateValue = fc.oneof(fc.constantFrom(() => 0.1, () => 0, () => tensor(0.01)).map((make) => make()), anyValue);
const treeDefValue = fc.oneof(fc.constantFrom(() => lib.tree.flatten([1, { a: 2 }])[1], () => lib.tree.flatten(3)[1]).map((make) => make()), anyValue);
const programValue = fc.oneof(fc.constantFrom(...programThunks()).map((make) => make()), anyValue);

/** How to call an export: its argument list, when plain random values would rarely get past the first check. */
const CALLS: Readonly<Record<string, fc.Arbitrary<unknown[]>>> = {
  grad: fc.tuple(functionValue, anyValue),
  valueAndGrad: fc.tuple(functionValue, anyValue),
  jacrev: fc.tuple(functionValue, anyValue),
  jacfwd: fc.tuple(functionValue, anyValue),
  hessian: fc.tuple(functionValue, anyValue),
  printTape: fc.tuple(functionValue),
  vjp: fc.tuple(functionValue, tensorValue, anyValue),
  jvp: fc.tuple(functionValue, fc.array(tensorValue, { maxLength: 2 }), fc.array(tensorValue, { maxLength: 2 })),
  hvp: fc.tuple(functionValue, fc.array(tensorValue, { maxLength: 2 }), fc.array(tensorValue, { maxLength: 2 })),
  checkGrads: fc.tuple(functionValue, fc.array(tensorValue, { maxLength: 2 }), anyValue),
  'random.split': fc.tuple(keyValue, anyValue),
  'random.foldIn': fc.tuple(keyValue, anyValue),
  'random.uniform': fc.tuple(keyValue, anyValue, anyValue),
  'random.normal': fc.tuple(keyValue, anyValue, anyValue),
  'random.bernoulli': fc.tuple(keyValue, anyValue, anyValue),
  'Random.run': fc.tuple(keyValue),
  'Program.flatMap': fc.tuple(programValue, functionValue),
  'Program.chain': fc.tuple(programValue, functionValue),
  'Program.map': fc.tuple(programValue, functionValue),
  'Program.tap': fc.tuple(programValue, functionValue),
  'Program.traverse': fc.tuple(fc.array(anyValue, { maxLength: 3 }), functionValue),
  'Program.gen': fc.tuple(functionValue),
  // the toolkit: subscripts first; images and kernels of the ranks conv and the pools take; indices
  // that fit; trees with a callback first; transformations for chain; logits with labels
  einsum: fc.oneof(
    fc.tuple(fc.constantFrom('ij,jk->ik', 'ij,kj', 'ii', 'ij->ji', 'ij,ij->'), fc.constant(tensor([[1, 2], [3, 4]])), fc.constant(tensor([[0, 1], [1, 0]]))),
    fc.tuple(fc.constantFrom('ij,jk->ik', 'ii', 'i,i', 'i,j->ij', 'ij,j', 'i->ii', '...', 'i,i->i,', 'iJ,J'), tensorValue, tensorValue),
  ),
  conv: fc.tuple(imageValue, kernelValue, maybe(fc.constantFrom({ padding: 'SAME' }, { windowStrides: 2, padding: [[1, 0]] }, { featureGroupCount: 2 }, { rhsDilation: [1, 2] }))),
  maxPool: fc.tuple(imageValue, countsValue, maybe(fc.constantFrom({ padding: 'SAME' }, { strides: 1 }, { strides: [1, 2], padding: [[1, 0], [0, 1]] }))),
  avgPool: fc.tuple(imageValue, countsValue, maybe(fc.constantFrom({ padding: 'SAME' }, { strides: 1 }))),
  takeAlongAxis: fc.tuple(tensorValue, indexValue, axisValue),
  gather: fc.tuple(tensorValue, indexValue, axisValue),
  at: fc.tuple(tensorValue, indexValue, maybe(axisValue)),
  oneHot: fc.tuple(indexValue, countsValue, maybe(fc.oneof(axisValue, fc.constant({ dtype: 'float32' })))),
  tile: fc.tuple(tensorValue, countsValue),
  repeat: fc.tuple(tensorValue, countsValue, maybe(axisValue)),
  split: fc.tuple(tensorValue, countsValue, maybe(axisValue)),
  topk: fc.tuple(tensorValue, countsValue),
  softmaxCrossEntropy: fc.tuple(tensorValue, fc.oneof(indexValue, tensorValue), maybe(fc.constant({ reduction: 'none' }))),
  sigmoidBinaryCrossEntropy: fc.tuple(tensorValue, fc.oneof(fc.constantFrom(() => tensor([1, 0]), () => tensor([[0.5, 1], [0, 0.25]])).map((make) => make()), tensorValue), maybe(fc.constant({ reduction: 'sum' }))),
  meanSquaredError: fc.tuple(tensorValue, tensorValue, maybe(fc.constant({ reduction: 'none' }))),
  huber: fc.tuple(tensorValue, tensorValue, maybe(fc.constant({ delta: 0.5 }))),
  'tree.map': fc.tuple(functionValue, anyValue),
  'tree.map2': fc.tuple(functionValue, anyValue, anyValue),
  'tree.reduce': fc.tuple(functionValue, anyValue, anyValue),
  'tree.unflatten': fc.tuple(treeDefValue, fc.oneof(fc.constant([1, 2]), anyValue)),
  'optim.sgd': fc.tuple(learningRateValue),
  'optim.momentum': fc.tuple(learningRateValue, maybe(fc.constant({ beta: 0.5, nesterov: true }))),
  'optim.adam': fc.tuple(learningRateValue, maybe(fc.constant({ b1: 0.5 }))),
  'optim.adamw': fc.tuple(learningRateValue, maybe(fc.constant({ weightDecay: 0.1 }))),
  'optim.rmsprop': fc.tuple(learningRateValue, maybe(fc.constant({ decay: 0.5 }))),
  'optim.clipByGlobalNorm': fc.tuple(learningRateValue),
  'optim.chain': fc.array(transformationValue, { maxLength: 3 }),
};
// half the time a tensor comes first, as most exports take one there, so the later arguments get checked too
const defaultArgs = fc.oneof(
  fc.array(anyValue, { maxLength: 4 }),
  fc.tuple(tensorValue, fc.array(anyValue, { maxLength: 3 })).map(([t, rest]) => [t, ...rest]),
);

/** Every exported function, by name (`random.normal`, `Program.map`), including the class constructors. */
function exportedFunctions(): Array<[string, (...args: unknown[]) => unknown]> {
  const out: Array<[string, (...args: unknown[]) => unknown]> = [];
  const visit = (prefix: string, value: unknown, depth: number): void => {
    if (typeof value === 'function') out.push([prefix, value as (...args: unknown[]) => unknown]);
    else if (typeof value === 'object' && value !== null && !Array.isArray(value) && depth < 2) {
      for (const [k, v] of Object.entries(value)) visit(`${prefix}.${k}`, v, depth + 1);
    }
  };
  for (const [name, value] of Object.entries(lib)) visit(name, value, 0);
  return out;
}

const isClass = (f: unknown): boolean => typeof f === 'function' && /^class\b/.test(Function.prototype.toString.call(f));

/** Every handler around a program, so that whatever effects it performs, it can run. */
function runAll(p: unknown): unknown {
  const handled = IO.run(Observe.run(Fail.either(Log.collect(State.run({})(Random.run(random.key(0))(p as Program<unknown, never>))))));
  return run(handled as Program<unknown, never>);
}

const SEEN = new WeakSet<object>();

/** Checks a returned value: tensors are well formed; functions are called, programs run, in turn. */
function checkResult(value: unknown, depth: number, args: fc.Arbitrary<unknown[]>, rng: () => unknown[]): void {
  if (value instanceof Tensor) {
    // a tampered, forged or proxied tensor from the pool, handed back as is (in an error's fields, a program's value)
    if (!isTensor(value) || !isIntact(value)) return;
    expect(Object.isFrozen(value.shape)).toBe(true);
    expect(value.shape.every((d) => Number.isSafeInteger(d) && d >= 0)).toBe(true);
    expect(value.ndim).toBe(value.shape.length);
    expect(value.size).toBe(value.shape.reduce((a, b) => a * b, 1));
    expect(['float64', 'float32']).toContain(value.dtype);
    expect(toTypedArray(value).length).toBe(value.size);
    return;
  }
  if (Program.isProgram(value)) {
    if (depth < 2) settle(() => runAll(value), depth + 1, args, rng);
    return;
  }
  if (typeof value === 'function') {
    if (depth < 2 && !isClass(value)) settle(() => (value as (...a: unknown[]) => unknown)(...rng()), depth + 1, args, rng);
    return;
  }
  if (typeof value === 'object' && value !== null && !SEEN.has(value)) {
    SEEN.add(value);
    for (const v of Object.values(value)) checkResult(v, depth, args, rng);
  }
}

/** Promises returned along the way (runPromise, an async callback's result): settled before a case ends. */
let pending: Array<Promise<void>> = [];

/** An error must be typed (or the callback's own). */
function checkError(e: unknown): void {
  if (e instanceof UserError) return;
  if (!(e instanceof AdjointError)) throw new Error(`untyped error: ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e)}`);
  expect(ERROR_CODES).toContain(e.code);
  expect(e.message.startsWith(`${e.op}: `)).toBe(true);
}

/** Runs `call`: a result is checked (a promise when it settles), an error must be typed. */
function settle(call: () => unknown, depth: number, args: fc.Arbitrary<unknown[]>, rng: () => unknown[]): void {
  let result: unknown;
  try {
    result = call();
  } catch (e) {
    checkError(e);
    return;
  }
  if (result instanceof Promise) {
    pending.push(result.then((v) => checkResult(v, depth + 1, args, rng), checkError));
    return;
  }
  checkResult(result, depth, args, rng);
}

const exportsToFuzz = exportedFunctions();

describe('the boundary: every export, fed malformed arguments, returns a valid result or throws a typed error', () => {
  const log = console.log;
  beforeAll(() => {
    // Log.print and friends print what the fuzz feeds them
    console.log = vi.fn();
  });
  afterAll(() => {
    console.log = log;
    setCheckNumerics(false); // the fuzz may have turned it on
  });

  it('enumerates the exports (a new export is fuzzed without editing this file)', () => {
    const names = exportsToFuzz.map(([n]) => n);
    for (const n of ['tensor', 'sum', 'grad', 'random.normal', 'Program.map', 'State.set', 'Checked.div', 'Tensor']) expect(names).toContain(n);
    expect(names.length).toBeGreaterThan(100);
  });

  for (const [name, fn] of exportsToFuzz) {
    const args = CALLS[name] ?? defaultArgs;
    test.prop([args, fc.array(fc.array(anyValue, { maxLength: 3 }), { minLength: 4, maxLength: 4 })], { seed: 8, numRuns: 60 })(name, async (xs, later) => {
      let next = 0;
      // arguments for the functions a call returns (a transformed function, a pullback)
      const rng = (): unknown[] => later[next++ % later.length]!;
      pending = [];
      settle(() => (isClass(fn) ? new (fn as unknown as new (...a: unknown[]) => unknown)(...xs) : fn(...xs)), 0, args, rng);
      // a rejection is checked like a throw, and never left unhandled
      while (pending.length > 0) await pending.shift();
    });
  }
});

describe('forged and proxied tensors and programs are refused like any other non-tensor, by every export', () => {
  // instanceof accepts them; reading their private state would be a raw TypeError
  const forged: ReadonlyArray<readonly [string, () => unknown]> = [
    ['Object.create(Tensor.prototype)', () => Object.create(Tensor.prototype)],
    ['a Proxy of a vector', () => new Proxy(tensor([1, 2]), {})],
    ['a Proxy of a 0-d tensor', () => new Proxy(tensor(3), {})],
    ['Object.create of a program prototype', () => Object.create(Object.getPrototypeOf(Program.of(1)))],
    ['a Proxy of a program', () => new Proxy(Program.of(1), {})],
  ];
  // where the forged value goes: first, after a tensor, after a function (transforms, combinators), in an array
  const placements: ReadonlyArray<(f: unknown) => unknown[]> = [
    (f) => [f],
    (f) => [tensor([1, 2]), f],
    (f) => [f, tensor([1, 2])],
    (f) => [(x: Tensor) => sum(x), f],
    (f) => [[f, tensor([1, 2])]],
    (f) => [(x: Tensor) => x, [f], [f]],
  ];
  const log = console.log;
  beforeAll(() => {
    console.log = vi.fn();
  });
  afterAll(() => {
    console.log = log;
    setCheckNumerics(false);
  });

  for (const [label, make] of forged) {
    it(`${label}: a typed error or a valid result, never a TypeError (results called and run with it too)`, async () => {
      for (const [, fn] of exportsToFuzz) {
        for (const place of placements) {
          const rng = (): unknown[] => [make()];
          pending = [];
          const xs = place(make());
          settle(() => (isClass(fn) ? new (fn as unknown as new (...a: unknown[]) => unknown)(...xs) : fn(...xs)), 0, fc.constant(xs), rng);
          while (pending.length > 0) await pending.shift();
        }
      }
    });
  }

  it('the errors say what the value is', () => {
    const t = tensor([1, 2]);
    for (const v of [Object.create(Tensor.prototype), new Proxy(t, {})]) {
      expectTyped(() => sum(v), 'NOT_NUMERIC', 'sum', ["a Tensor that is not adjoint's", 'Object.create or a Proxy']);
      expectTyped(() => add(t, v), 'NOT_NUMERIC', 'add', ["a Tensor that is not adjoint's"]);
      expectTyped(() => lib.toArray(v), 'INVALID_ARGUMENT', 'toArray', ["a Tensor that is not adjoint's"]);
      expectTyped(() => tensor(v), 'NOT_NUMERIC', 'tensor', ["a Tensor that is not adjoint's", 'nested arrays of numbers']);
      expect(String(v)).toContain("not adjoint's");
    }
    expectTyped(() => grad((x: Tensor) => sum(x))(new Proxy(t, {})), 'NOT_NUMERIC', 'grad', []);
    for (const p of [Object.create(Object.getPrototypeOf(Program.of(1))), new Proxy(Program.of(1), {})]) {
      expectTyped(() => run(p), 'NOT_A_PROGRAM', 'run', ['posing as a Program']);
      expect(Program.isProgram(p)).toBe(false);
    }
  });
});
