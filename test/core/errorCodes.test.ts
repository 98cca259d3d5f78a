/**
 * Every error code is provoked at each kind of place that throws it: a table from code to labelled
 * calls, each of which must throw an `AdjointError` with that code (changing the code at one throw
 * site fails here). A code in `ERROR_CODES` with no entry fails the completeness check, so a new
 * code comes with a test. `PENDING` lists codes whose throw sites are not on main yet, with the calls
 * that will provoke them; they move into `TABLE` when their work lands.
 */
import { describe, expect, it } from 'vitest';
import { isLeft } from 'fp-ts/Either';
import {
  add,
  AdjointError,
  clip,
  argmax,
  at,
  conv,
  cumsum,
  einsum,
  maxPool,
  meanSquaredError,
  oneHot,
  optim,
  softmaxCrossEntropy,
  sigmoidBinaryCrossEntropy,
  split,
  takeAlongAxis,
  tile,
  tree,
  variance,
  checkpoint,
  cond,
  greater,
  observe,
  Observe,
  vmap,
  arange,
  astype,
  broadcastTo,
  Checked,
  checkGrads,
  cholesky,
  concat,
  customJvp,
  customRoot,
  customVjp,
  det,
  eigh,
  ERROR_CODES,
  type ErrorCode,
  exp,
  expandDims,
  Fail,
  grad,
  inv,
  IO,
  item,
  jacrev,
  jvp,
  linspace,
  log,
  Log,
  logSoftmax,
  matmul,
  max,
  mean,
  mul,
  norm,
  pad,
  qr,
  Program,
  random,
  Random,
  reshape,
  run,
  runPromise,
  scalar,
  setCheckNumerics,
  slice,
  slogdet,
  softmax,
  solve,
  sqrt,
  sub,
  squeeze,
  stack,
  State,
  stopGradient,
  sum,
  take,
  Tensor,
  tensor,
  toArray,
  transpose,
  triangularSolve,
  vjp,
  where,
  zeros,
} from '../../src/index.js';
import { bind } from '../../src/core/primitive.js';
import type { Rule } from '../../src/core/rule.js';
import { thrown } from '../reference.js';

type Provoke = () => unknown;
type Entries = ReadonlyArray<readonly [site: string, provoke: Provoke]>;

/** A failure that `Fail` returns as a value (a `Left`), thrown so the table can read its code. */
function raiseLeft(p: Program<unknown, 'Fail'>): never {
  const r = run(Fail.either(p));
  if (!isLeft(r)) throw new Error('expected a Left');
  throw r.left;
}

/** An array that contains itself. */
function cyclicArray(): unknown[] {
  const a: unknown[] = [1];
  a.push({ back: a });
  return a;
}

/** A tracer of a `grad` call that has returned. */
function leakedTracer(shape: 'scalar' | 'tensor'): Tensor {
  let leaked: Tensor | undefined;
  const x0 = shape === 'scalar' ? scalar(2) : tensor([1, 2]);
  grad((x: Tensor) => {
    leaked = mul(x, x);
    return sum(leaked);
  })(x0);
  return leaked!;
}

/** A primitive whose reverse rule does not transpose its forward rule (for the dot-product check). */
const badTransposeP = {
  id: -1,
  name: 'badTranspose',
  examples: [],
  implKind: 0,
  shape: ([x]: ReadonlyArray<Tensor>) => ({ shape: x!.shape, dtype: x!.dtype }),
  impl: ([x]: ReadonlyArray<Tensor>) => mul(x!, 2),
  jvp: (_p: ReadonlyArray<Tensor>, [t]: ReadonlyArray<Tensor>) => mul(t!, 2),
  vjp: (ct: Tensor) => [mul(ct, 3)], // should be 2
} as unknown as Rule<void>;

const cell = State.cell<Tensor>('c');
const k = random.key(0);

const TABLE: { readonly [C in ErrorCode]?: Entries } = {
  BROADCAST_INCOMPATIBLE: [
    ['a broadcasting binary op', () => add(zeros([2, 3]), zeros([4]))],
    ['where', () => where(zeros([2]), zeros([3]), 1)],
    ['matmul batch dimensions', () => matmul(zeros([2, 2, 3]), zeros([3, 3, 4]))],
    ['broadcastTo, incompatible sizes', () => broadcastTo(zeros([3]), [2, 2])],
    ['broadcastTo, a target of lower rank', () => broadcastTo(zeros([2, 3]), [3])],
    ['at().set with values that do not fit the selected positions', () => at(zeros([3]), [0, 1]).set(zeros([3]))],
  ],
  SHAPE_MISMATCH: [
    ['squeeze of a non-size-1 axis', () => squeeze(zeros([2, 3]), 0)],
    ['concat', () => concat([zeros([2]), zeros([2, 2])])],
    ['stack', () => stack([zeros([2]), zeros([3])])],
    ['matmul of a 0-d operand (left)', () => matmul(2, zeros([2]))],
    ['matmul of a 0-d operand (right)', () => matmul(zeros([2]), scalar(2))],
    ['conv, channels that do not fit the kernel', () => conv(zeros([1, 3, 5]), zeros([1, 2, 3]))],
    ['conv and the pools, a window larger than the padded input', () => maxPool(zeros([1, 1, 2, 2]), 3)],
    ['einsum, a letter with two sizes', () => einsum('ij,jk', zeros([2, 3]), zeros([4, 2]))],
    ['takeAlongAxis, indices of another rank', () => takeAlongAxis(zeros([2, 3]), tensor([0]), 1)],
    ['split into unequal sections', () => split(zeros([5]), 2)],
    ['a loss, shapes that differ (losses do not broadcast)', () => meanSquaredError(zeros([2, 1]), zeros([2]))],
    ['variance over axes with no elements', () => variance(zeros([2, 0]), 1)],
    ['argmax over an empty axis', () => argmax(zeros([2, 0]), 1)],
    ['a learning rate that is not 0-d', () => optim.sgd(tensor([0.1, 0.2]))],
    ['a loss, the mean of an empty batch', () => meanSquaredError(zeros([0]), zeros([0]))],
    ['tree.dot, leaves of different shapes (trees do not broadcast)', () => tree.dot({ a: zeros([2]) }, { a: zeros([]) })],
    ['applyUpdates, an update not shaped like its parameter', () => optim.applyUpdates({ w: zeros([2]) }, { w: zeros([2, 2]) })],
    ['an optimizer update, gradients not shaped like the state', () => optim.momentum(0.1).update({ w: zeros([]) }, optim.momentum(0.1).init({ w: zeros([3]) }))],
    ['tree.scale by a factor with axes', () => tree.scale({ a: zeros([2]) }, zeros([2]))],
    ['max of an empty axis', () => max(zeros([2, 0]), 1)],
    ['mean of an empty axis', () => mean(zeros([0]))],
    ['norm, a max order over an empty axis', () => norm(zeros([0]), Infinity)],
  ],
  MATMUL_INNER_MISMATCH: [
    ['matmul of matrices', () => matmul(zeros([2, 3]), zeros([4, 5]))],
    ['matmul of vectors', () => matmul(zeros([3]), zeros([4]))],
  ],
  RESHAPE_SIZE_MISMATCH: [
    ['reshape', () => reshape(zeros([2, 3]), [4])],
    ['reshape with an inferred dimension', () => reshape(zeros([2, 3]), [4, -1])],
    ['tensor with a shape option', () => tensor([1, 2, 3], { shape: [2, 2] })],
  ],
  INVALID_DIMENSION: [
    ['a creation shape', () => zeros([2, -1])],
    ['reshape with two inferred dimensions', () => reshape(zeros([6]), [-1, -1])],
    ['reshape with a fractional dimension', () => reshape(zeros([6]), [2.5, 2])],
    ['pad widths', () => pad(zeros([2]), [[-1, 0]])],
  ],
  AXIS_OUT_OF_RANGE: [
    ['a reduction axis', () => sum(zeros([2]), { axis: 1 })],
    ['a repeated reduction axis', () => sum(zeros([2, 3]), { axis: [0, -2] })],
    ['softmax and logSoftmax', () => logSoftmax(zeros([2]), 1)],
    ['take', () => take(zeros([2]), [0], 1)],
    ['concat', () => concat([zeros([2]), zeros([2])], 1)],
    ['expandDims', () => expandDims(zeros([2]), 2)],
    ['squeeze', () => squeeze(zeros([1]), 1)],
    ['transpose, not a permutation', () => transpose(zeros([2, 3]), [0, 0])],
    ['slice, more bounds than axes', () => slice(zeros([2]), [0, 0])],
    ['pad, a pair per axis', () => pad(zeros([2]), [[1, 1], [1, 1]])],
    ['a scan axis', () => cumsum(zeros([2]), 1)],
    ['oneHot, an axis of the result', () => oneHot([0], 2, 2)],
  ],
  INDEX_OUT_OF_RANGE: [
    ['take, past the end', () => take(tensor([1, 2]), [2])],
    ['take, before the start', () => take(tensor([1, 2]), [-3])],
    ['takeAlongAxis, concrete indices', () => takeAlongAxis(tensor([[1, 2]]), tensor([[2]]), 1)],
    ['takeAlongAxis, traced indices (checked in the kernel)', () => grad((i: Tensor) => sum(takeAlongAxis(tensor([1, 2]), mul(i, 5), 0)))(tensor([1]))],
    ['at, an index past the end', () => at(tensor([1, 2]), [2]).set(0)],
    ['oneHot, a class past the last', () => oneHot([3], 3)],
    ['softmaxCrossEntropy, an integer label past the last class', () => softmaxCrossEntropy(zeros([1, 2]), tensor([2]))],
    ['oneHot, indices batched by vmap (every lane is read)', () => vmap((i: Tensor) => oneHot(i, 3))(tensor([1, 7]))],
  ],
  RAGGED_ARRAY: [
    ['an array among numbers', () => tensor([1, [2]] as unknown as number[])],
    ['rows of different lengths', () => tensor([[1, 2], [3]])],
  ],
  NOT_NUMERIC: [
    ['an element of tensor()', () => tensor(['a'] as unknown as number[])],
    ['an operand', () => add(tensor(1), 'a' as unknown as number)],
    ['a tree.map callback returning a non-leaf', () => tree.map(() => 'a' as never, { w: 1 })],
    ['a leaf given to tree.unflatten', () => tree.unflatten(tree.flatten([1])[1], ['a' as never])],
    ['a leaf of a transform input', () => grad((x: Tensor) => x)('a' as unknown as Tensor)],
    ['a Proxy of a tensor as an operand (a brand check, not instanceof)', () => sum(new Proxy(tensor([1, 2]), {}))],
    ['Object.create(Tensor.prototype) given to tensor()', () => tensor(Object.create(Tensor.prototype) as Tensor)],
  ],
  ALLOCATION_TOO_LARGE: [
    ['a shape no buffer can hold', () => zeros([1e10, 1e10])],
    ['a kernel result no buffer can hold (broadcasting)', () => add(zeros([100_000, 1]), zeros([1, 100_000]))],
    ['a length computed from numbers', () => arange(0, 1e300, 1e-300)],
    ['the length of an array-like value', () => tensor({ length: 1e10 } as never)],
    ['random.split of too many keys', () => random.split(k, 1e10)],
    ['a result shape an op computes from counts (tile)', () => tile(zeros([2]), [1e10, 1e10])],
    ['the patches of a convolution', () => conv(zeros([1, 1, 1e5]), zeros([1, 1, 1]), { padding: [[1e10, 0]] })],
    ['vmap, an unbatched result repeated over axisSize lanes', () => vmap(() => scalar(1), { inAxes: null, axisSize: 1e10 })()],
  ],
  UNKNOWN_OPTION: [
    ['a reduction option with a typo', () => sum(zeros([2, 2]), { axes: 1 } as never)],
    ['softmax options with a typo', () => softmax(zeros([2]), { axes: 0 } as never)],
    ['a constructor option', () => zeros([2], { dtpye: 'float32' } as never)],
    ['a sampler option', () => random.normal(k, [2], { sd: 1 } as never)],
    ['a transform option', () => grad((x: Tensor) => x, { argnum: 1 } as never)],
    ['a checkGrads option', () => checkGrads((x: Tensor) => x, [scalar(1)], { tol: 1 } as never)],
    ['an optimizer option', () => optim.adam(1e-3, { beta1: 0.9 } as never)],
    ['a loss option', () => meanSquaredError(zeros([2]), zeros([2]), { reduce: 'sum' } as never)],
    ['a conv option', () => conv(zeros([1, 1, 3]), zeros([1, 1, 1]), { stride: 2 } as never)],
  ],
  TENSOR_COERCION: [
    ['arithmetic on a tensor', () => (tensor(2) as unknown as number) * 2],
    ['a comparison', () => (tensor(2) as unknown as number) > 0],
    ['Math.max', () => Math.max(tensor(2) as unknown as number, 0)],
    ['valueOf', () => tensor(2).valueOf()],
    ['an operator on a tracer inside grad', () => grad((x: Tensor) => (x as unknown as number) * 2)(scalar(1))],
  ],
  NOT_SIZE_ONE: [['item of a tensor with more than one element', () => item(zeros([2]))]],
  INVALID_ARGUMENT: [
    ['new Tensor()', () => new (Tensor as unknown as new () => Tensor)()],
    ['a reader given a non-tensor', () => toArray(5 as unknown as Tensor)],
    ['a reader given a Proxy of a tensor', () => toArray(new Proxy(tensor([1]), {}))],
    ['a creation shape that is not an array', () => zeros(3 as unknown as number[])],
    ['arange with step 0', () => arange(0, 1, 0)],
    ['slice, a fractional bound', () => slice(zeros([3]), [0.5])],
    ['concat of nothing', () => concat([])],
    ['stack of nothing', () => stack([])],
    ['take, a fractional index', () => take(zeros([3]), [0.5])],
    ['grad with hasAux, not a pair', () => grad((x: Tensor) => x, { hasAux: true })(scalar(1))],
    ['jvp, primals not an array', () => jvp((x: Tensor) => x, scalar(1) as unknown as [Tensor], [scalar(1)])],
    ['State.modify of a tensor, recipe returns nothing', () => run(State.run({ c: tensor(1) })(State.modify(cell, () => undefined as never)))],
    ['State.set with no value', () => (State.set as (...a: unknown[]) => unknown)(cell)],
    ['Log.value with no value', () => (Log.value as (...a: unknown[]) => unknown)('a')],
    ['a State value that is a function', () => State.run({ c: () => 1 })],
    ['run with an extra argument', () => (run as (...a: unknown[]) => unknown)(Program.of(1), 2)],
    ['a handler with an extra argument', () => (Log.collect as (...a: unknown[]) => unknown)(Program.of(1), 2)],
    ['State.modify, a recipe that is not a function', () => State.modify(cell, 5 as never)],
    ['a State value that cannot be copied (a class instance)', () => State.run({ c: new (class Model {})() })],
    ['a cell that is not a cell', () => State.get({ name: 'c' } as never)],
    ['a Log label that is not a string', () => Log.value(5 as never, 1)],
    ['IO.call of a non-function', () => IO.call(5 as never)],
    ['Random.normal, a shape that is not an array', () => Random.normal(5 as never)],
    ['Random.run, not a key', () => Random.run(5 as never)],
    ['Program.all of a number', () => Program.all(5 as never)],
    ['Fail.raise of a non-Error', () => Fail.raise('oops' as never)],
    ['random, not a key', () => random.normal(5 as unknown as ReturnType<typeof random.key>, [2])],
    ['random.threefry2x32, not a word pair', () => random.threefry2x32([1, 2.5] as unknown as [number, number], [0, 0])],
    ['random.key, a fractional seed', () => random.key(1.5)],
    ['random.key, a seed beyond 64 bits', () => random.key(2 ** 65)],
    ['random.split, a negative count', () => random.split(k, -1)],
    ['random, a shape that is not an array', () => random.uniform(k, 3 as unknown as number[])],
    ['random, a non-finite parameter', () => random.normal(k, [2], { mean: NaN })],
    ['random.uniform, float32 bounds that overflow', () => random.uniform(k, [2], { minval: -1e300, maxval: 1e300, dtype: 'float32' })],
    ['random.uniform, an empty interval', () => random.uniform(k, [2], { minval: 1, maxval: 1 })],
    ['random.normal, a negative std', () => random.normal(k, [2], { std: -1 })],
    ['random.bernoulli, not a probability', () => random.bernoulli(k, 2, [2])],
    ['random.normal, samples that would overflow', () => random.normal(k, [2], { std: 1e308 })],
    ['a non-integer axis', () => sum(zeros([2]), 0.5)],
    ['an axis that is a string', () => softmax(zeros([2]), '0' as never)],
    ['an extra argument', () => (transpose as (...a: unknown[]) => unknown)(zeros([2, 2]), 1, 0)],
    ['a shape that is a number', () => reshape(zeros([6]), 6 as never)],
    ['slice bounds that are a number', () => slice(zeros([3]), 1 as never)],
    ['pad widths that are not pairs', () => pad(zeros([2]), [[1]] as never)],
    ['pad with a string', () => pad(zeros([2]), [[1, 1]], 'a' as never)],
    ['a DataView for tensor', () => tensor(new DataView(new ArrayBuffer(8)) as never)],
    ['linspace with NaN', () => linspace(0, NaN, 3)],
    ['a repeated argnum', () => grad((x: Tensor) => x, { argnums: [0, 0] })],
    ['a transform given a non-function', () => grad(5 as never)],
    ['checkGrads order', () => checkGrads((x: Tensor) => x, [scalar(1)], { order: 0.5 })],
    ['a tensor whose shape was redefined', () => sum(Object.defineProperty(tensor([1, 2]), 'shape', { value: [5] }))],
    ['an error class built from bad arguments', () => new AdjointError('NO_SUCH_CODE' as never, 'op', 'message')],
    ['a negative learning rate', () => optim.adam(-1e-3)],
    ['a concrete tensor learning rate that is NaN', () => optim.sgd(tensor(NaN))],
    ['a learning rate traced by grad, negative (its primal is read)', () => grad((lr: Tensor) => sum(optim.sgd(lr).update([zeros([1])], {})[0][0]!))(scalar(-1))],
    ['a tensor bound of clip holding NaN', () => clip(zeros([2]), tensor([0, NaN]), 1)],
    ['a binary label batched by vmap, outside [0, 1]', () => vmap((z: Tensor) => sigmoidBinaryCrossEntropy(zeros([1]), z))(tensor([[0], [5]]))],
    ['an optimizer hyperparameter out of range', () => optim.adam(1e-3, { b2: 1 })],
    ['an optimizer state that init did not make', () => optim.adam(1e-3).update([zeros([1])], {} as never)],
    ['an extra argument to an optimizer method', () => (optim.sgd(0.1).init as (...a: unknown[]) => unknown)([1], [2])],
    ['ddof at least the number of elements', () => variance(zeros([3]), { ddof: 3 })],
    ['binary labels outside [0, 1]', () => sigmoidBinaryCrossEntropy(zeros([2]), tensor([0, 2]))],
    ['einsum subscripts that are not a string', () => einsum(5 as never, zeros([2]))],
    ['a count that is not a non-negative integer (tile)', () => tile(zeros([2]), -1)],
    ['a spatial parameter of conv', () => conv(zeros([1, 1, 3]), zeros([1, 1, 1]), { windowStrides: 0 })],
    ['an extra argument to at().set', () => (at(zeros([2]), 0).set as (...a: unknown[]) => unknown)(1, 0)],
    ['a fractional class index (oneHot, integer labels)', () => oneHot([0.5], 2)],
    ['a fractional index of takeAlongAxis (the parser take shares)', () => takeAlongAxis(zeros([2]), [0.5], 0)],
  ],
  INVALID_DTYPE: [
    ['a creation dtype', () => zeros([2], { dtype: 'int8' as 'float32' })],
    ['a dtype string for options', () => tensor([1], 'int8' as 'float32')],
    ['astype', () => astype(zeros([2]), 'int8' as 'float32')],
    ['astype without a dtype', () => astype(zeros([2]), undefined as never)],
    ['a jvp tangent whose dtype is not its primal\'s', () => jvp((x: Tensor) => x, [tensor([1, 2])], [tensor([1, 1], 'float32')])],
    ['a sampler dtype', () => random.uniform(k, [2], 'int8' as 'float32')],
    ['oneHot', () => oneHot([0], 2, { dtype: 'int32' as 'float32' })],
    ['tree.add, paired leaves of different dtypes', () => tree.add({ a: zeros([1], 'float32') }, { a: zeros([1]) })],
    ['applyUpdates, an update of another dtype than its parameter', () => optim.applyUpdates({ w: zeros([1], 'float32') }, { w: zeros([1]) })],
  ],
  NON_SCALAR_OUTPUT: [['grad of a non-scalar function', () => grad((x: Tensor) => x)(zeros([2]))]],
  ARGNUMS_OUT_OF_RANGE: [
    ['grad', () => grad((x: Tensor) => x, { argnums: 1 })(scalar(1))],
    ['a negative argnum', () => grad((x: Tensor) => x, -1)],
    ['jacrev', () => jacrev((x: Tensor) => x, { argnums: [0, 3] })(scalar(1))],
    ['a transformed function called with no arguments', () => (grad((x: Tensor) => x) as () => unknown)()],
  ],
  TREE_MISMATCH: [
    ['a cotangent of another structure', () => vjp((x: Tensor) => [x, x], scalar(1))[1](scalar(1) as never)],
    ['a tangent of another shape', () => jvp((x: Tensor) => x, [zeros([2])], [zeros([3])])],
    ['tree.map2 of two structures', () => tree.map2(add, { a: 1 }, { b: 1 } as never)],
    ['tree.unflatten with too few leaves', () => tree.unflatten(tree.flatten([1, 2])[1], [1])],
    ['an optimizer update whose gradients are not shaped like its state', () => optim.momentum(0.1).update({ b: zeros([1]) }, optim.momentum(0.1).init({ a: zeros([1]) }))],
  ],
  LEAKED_TRACER: [
    ['an op on a leaked scalar tracer', () => add(leakedTracer('scalar'), 1)],
    ['an op on a leaked tensor tracer', () => mul(leakedTracer('tensor'), 2)],
    ['reading a leaked tracer', () => toArray(leakedTracer('tensor'))],
    ['a leaked tracer inside another grad', () => grad((x: Tensor) => mul(x, leakedTracer('scalar')))(scalar(1))],
  ],
  CONCRETIZATION: [
    ['reading a tracer inside grad', () => grad((x: Tensor) => scalar(item(x)))(scalar(1))],
    ['reading a tracer inside jvp', () => jvp((x: Tensor) => tensor(toArray(x) as number[]), [zeros([2])], [zeros([2])])],
  ],
  GRAD_CHECK_FAILED: [
    ['jvp against finite differences', () => checkGrads((x: Tensor) => add(stopGradient(mul(x, x)), x), [tensor([1, 2])])],
    ['the dot-product identity', () => checkGrads((x: Tensor) => bind(badTransposeP, [x], undefined), [tensor([1, 2])])],
  ],
  NON_FINITE: [
    ['a linear-algebra op given a matrix with a NaN', () => solve(tensor([[NaN, 1], [1, 1]]), tensor([1, 1]))],
    ['eigh given a matrix with an infinity', () => eigh(tensor([[1, Infinity], [Infinity, 1]]))],
    ['checkGrads at a non-finite point', () => checkGrads(sqrt, [tensor([NaN])])],
    ['checkNumerics, a reverse pass on the scalar path', () => grad((x: Tensor) => log(exp(x)), { checkNumerics: true })(scalar(1000))],
    ['checkNumerics, a reverse pass on the tensor path', () => grad((x: Tensor) => sum(log(exp(x))), { checkNumerics: true })(tensor([1000, 1]))],
    ['checkNumerics, a tangent in jvp', () => jvp((x: Tensor) => sqrt(x), [scalar(0)], [scalar(1)], { checkNumerics: true })],
    ['checkNumerics, the result of a reverse-mode function', () => grad((x: Tensor) => exp(x), { checkNumerics: true })(scalar(1000))],
    ['checkNumerics, the result of a forward-mode function', () => jvp((x: Tensor) => exp(x), [scalar(1000)], [scalar(1)], { checkNumerics: true })],
    [
      'the global switch',
      () => {
        const previous = setCheckNumerics(true);
        try {
          return grad((x: Tensor) => log(exp(x)))(scalar(1000));
        } finally {
          setCheckNumerics(previous);
        }
      },
    ],
  ],
  CLOSED_OVER_TRACER: [
    [
      'a customVjp function closing over a traced value',
      () => grad((w: Tensor) => customVjp((x: Tensor) => mul(x, w), (x: Tensor) => [mul(x, w), x] as const, (_x: Tensor, ct: Tensor) => [ct] as [Tensor])(scalar(3)))(scalar(2)),
    ],
    [
      'a customJvp rule closing over a traced value',
      () => grad((w: Tensor) => customJvp((x: Tensor) => mul(x, 2), ([x]: [Tensor], [t]: [Tensor | undefined]) => [mul(x, 2), mul(t!, w)] as const)(mul(w, 3)))(scalar(2)),
    ],
    [
      'a root solver closing over a traced value',
      () => grad((w: Tensor) => customRoot((x: Tensor) => sub(x, w), scalar(0), () => w, (_g: (v: Tensor) => Tensor, y: Tensor) => y))(scalar(2)),
    ],
  ],
  NONLINEAR_RULE: [
    [
      'a customVjp bwd transposed for forward mode',
      () => jvp(customVjp((x: Tensor) => exp(x), (x: Tensor) => [exp(x), x] as const, (x: Tensor, ct: Tensor) => [mul(mul(ct, ct), exp(x))] as [Tensor]), [scalar(1)], [scalar(1)]),
    ],
    [
      'a customJvp rule transposed for reverse mode',
      () => grad(customJvp((x: Tensor) => exp(x), ([x]: [Tensor], [t]: [Tensor | undefined]) => [exp(x), add(t!, 1)] as const))(scalar(1)),
    ],
  ],
  CYCLIC_TREE: [
    [
      'a nested array that contains itself, given to tensor',
      () => {
        const a: unknown[] = [];
        a.push(a);
        return tensor(a as number[]);
      },
    ],
    ['a cyclic grad input (flatten)', () => grad((t: Tensor[]) => t[0]!)(cyclicArray() as unknown as Tensor[])],
    ['a cyclic output', () => vjp((_x: Tensor) => cyclicArray() as unknown as Tensor, scalar(1))],
    ['a cyclic aux (mapTensors)', () => grad((x: Tensor) => [x, cyclicArray()] as const, { hasAux: true })(scalar(1))],
    ['a cyclic Log payload (ownedCopy)', () => Log.value('c', cyclicArray())],
    ['a cyclic initial State value', () => State.run({ c: cyclicArray() })],
    ['a cyclic State.set value', () => State.set(cell, cyclicArray() as never)],
    ['a cyclic value written by State.modify', () => run(State.run({ c: 1 })(State.modify(cell, () => cyclicArray() as never)))],
    ['a cyclic IO result', () => run(IO.run(IO.call(() => cyclicArray())))],
  ],
  NOT_A_PROGRAM: [
    ['run of a number', () => run(5 as unknown as Program<number>)],
    ['run of an object made from a program prototype', () => run(Object.create(Object.getPrototypeOf(Program.of(1))) as Program<number>)],
    ['runPromise of a number', () => runPromise(5 as unknown as Program<number>)],
    ['an element of Program.all', () => Program.all([Program.of(1), 2] as never)],
    ['a combinator given a non-program', () => (Program.map as (...a: unknown[]) => unknown)(5, (n: number) => n)],
    ['a handler given a non-program', () => Log.collect(5 as never)],
    ['a flatMap continuation returning a non-program (when run)', () => run(Program.flatMap(Program.of(1), () => 5 as never))],
    ['a Program.gen yield of a non-program (when run)', () => run(Program.gen(function* () { yield 5 as never; }) as Program<unknown>)],
    ['Program.defer returning a non-program (when run)', () => run(Program.defer(() => 5 as never))],
    ['Program.tap, f returning a non-program (when run)', () => run(Program.tap(Program.of(1), () => 5 as never))],
  ],
  ASYNC_FUNCTION: [
    ['grad of an async function', () => grad(async (x: Tensor) => x)(scalar(1))],
    ['grad of a function returning a promise', () => grad((x: Tensor) => Promise.resolve(x) as unknown as Tensor)(scalar(1))],
    ['a combinator given an async function', () => Program.flatMap(Program.of(1), (async () => Program.of(2)) as never)],
    ['a promise inside an output tree (flatten)', () => jvp((x: Tensor) => [x, Promise.resolve(1)] as unknown as Tensor, [scalar(1)], [scalar(1)])],
    ['a promise in a Log payload (ownedCopy)', () => Log.value('p', { p: Promise.resolve(1) })],
    ['Program.sync returning a promise (when run)', () => run(Program.sync(() => Promise.resolve(1)))],
    ['IO.call returning a promise (when run)', () => run(IO.run(IO.call((() => Promise.resolve(1)) as () => never)))],
    ['IO.promise under run', () => run(IO.run(IO.promise(async () => 1)))],
    ['a continuation returning a promise (when run)', () => run(Program.flatMap(Program.of(1), () => Promise.resolve(Program.of(2)) as never))],
  ],
  EFFECT_REFUSED: [
    ['IO under vmap, not batch-safe', () => run(IO.run(vmap((x: Tensor) => Program.map(IO.call(() => 1), () => x))(tensor([1, 2]))))],
    ['observe of a batched value', () => run(Observe.run(vmap((x: Tensor) => Program.map(observe(x), () => x))(tensor([1, 2]))))],
    ["Random under vmap with randomness: 'error'", () => run(Random.run(random.key(0))(vmap((x: Tensor) => Program.map(Random.normal([]), () => x), { randomness: 'error' })(tensor([1, 2]))))],
    ['a domain check some lanes fail', () => run(Fail.either(vmap(Checked.log)(tensor([1, -1]))))],
    ['a cond with batched predicate and effectful branches', () => vmap((x: Tensor) => cond(greater(x, 0), () => Program.of(x), () => Program.of(x)))(tensor([1, -1]))],
  ],
  REPLAY_DIVERGED: [
    [
      'a checkpointed program whose observed value changes when recomputed',
      () => {
        let flip = 1;
        const unstable = checkpoint((x: Tensor) => Program.map(observe(mul(x, (flip = -flip))), (v) => (v > 0 ? mul(x, x) : x)));
        return run(Observe.run(grad((x: Tensor) => unstable(x))(scalar(2))));
      },
    ],
  ],
  UNHANDLED_EFFECT: [
    ['run of a program with an effect left', () => run(State.get(cell) as unknown as Program<unknown>)],
    ['under grad', () => run(grad((x: Tensor) => Program.map(State.get(cell), (w) => mul(x, w)))(scalar(1)) as unknown as Program<unknown>)],
  ],
  DOMAIN_ERROR: [
    ['Checked.log (a Left, not a throw)', () => raiseLeft(Checked.log(-1))],
    ['Checked.div', () => raiseLeft(Checked.div(1, tensor([1, 0])))],
    ['a checked op under grad', () => raiseLeft(grad((x: Tensor) => Checked.sqrt(mul(x, -1)))(scalar(2)))],
  ],
  STATE_UNSET: [
    ['State.get', () => run(State.run({})(State.get(cell)))],
    ['State.modify', () => run(State.run({})(State.modify(cell, (v) => mul(v, 2))))],
    ['State.version', () => run(State.run({})(State.version(cell)))],
  ],
  SINGULAR_MATRIX: [
    ['solve', () => solve(tensor([[1, 2], [2, 4]]), tensor([1, 1]))],
    ['solve, one matrix of a batch', () => solve(tensor([[[1, 0], [0, 1]], [[0, 0], [0, 1]]]), tensor([1, 1]))],
    ['inv', () => inv(tensor([[1, 2], [2, 4]]))],
    ['triangularSolve, a zero on the diagonal', () => triangularSolve(tensor([[1, 0], [1, 0]]), tensor([1, 1]), { lower: true })],
    ['the derivative of det', () => grad(det)(tensor([[1, 2], [2, 4]]))],
    ['the derivative of slogdet', () => jvp((a: Tensor) => slogdet(a)[1], [tensor([[1, 2], [2, 4]])], [tensor([[1, 0], [0, 1]])])],
    ['the derivative of qr at a rank-deficient matrix', () => grad((a: Tensor) => sum(qr(a)[1]))(tensor([[1, 1], [0, 0]]))],
  ],
  NOT_POSITIVE_DEFINITE: [
    ['cholesky', () => cholesky(tensor([[1, 2], [2, 1]]))],
    ['cholesky, one matrix of a batch', () => cholesky(tensor([[[1, 0], [0, 1]], [[-1, 0], [0, 1]]]))],
    ['cholesky under grad', () => grad((a: Tensor) => sum(cholesky(a)))(tensor([[0, 0], [0, 1]]))],
  ],
};

/**
 * Codes whose throw sites are not on main yet, and the calls that will provoke them (issue 8). When
 * the work lands, move each into `TABLE` and delete it here.
 */
const PENDING: { readonly [C in ErrorCode]?: Entries } = {
  // no throw site on main: kept in ERROR_CODES for a primitive without a derivative rule
  MISSING_RULE: [],
};

describe('every error code is provoked where it is thrown', () => {
  it('every code in ERROR_CODES has an entry (or is pending), and none is both', () => {
    for (const code of ERROR_CODES) {
      const entries = TABLE[code];
      expect(entries !== undefined || PENDING[code] !== undefined, `${code} has no entry in TABLE or PENDING`).toBe(true);
      if (entries !== undefined) expect(entries.length, `${code} has no provoking call`).toBeGreaterThan(0);
      expect(entries !== undefined && PENDING[code] !== undefined, `${code} is in both TABLE and PENDING`).toBe(false);
    }
    for (const code of [...Object.keys(TABLE), ...Object.keys(PENDING)]) expect(ERROR_CODES).toContain(code);
  });

  for (const [code, entries] of Object.entries(TABLE) as Array<[ErrorCode, Entries]>) {
    describe(code, () => {
      for (const [site, provoke] of entries) {
        it(site, () => {
          let returned = false;
          const e = thrown(() => {
            provoke();
            returned = true;
          });
          expect(returned, `${site}: returned instead of throwing ${code}`).toBe(false);
          expect(e, `${site}: threw ${String(e)}`).toBeInstanceOf(AdjointError);
          const err = e as AdjointError;
          expect(err.code, `${site}: ${err.message}`).toBe(code);
          expect(err.op.length).toBeGreaterThan(0);
          expect(err.message.startsWith(`${err.op}: `)).toBe(true);
        });
      }
    });
  }
});
