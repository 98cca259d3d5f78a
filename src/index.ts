/**
 * adjoint: automatic differentiation for pure-functional TypeScript. This module only re-exports the
 * public surface; internals (tracers, traces, tapes, kernels) are not exported.
 *
 * @since 0.1.0
 */
export { AdjointError, ArgumentError, AxisError, ERROR_CODES, type ErrorCode, IndexError, LinAlgError, ShapeError } from './core/errors.js';
export type { Shape } from './core/shape.js';
export { type Backend, getBackend, ready, setBackend } from './core/backend.js';
export { type DType, type FloatArray, item, type NestedArray, Tensor, toArray, toTypedArray } from './core/Tensor.js';
export {
  arange,
  eye,
  full,
  linspace,
  ones,
  onesLike,
  scalar,
  tensor,
  type TensorLike,
  type TensorOptions,
  zeros,
  zerosLike,
} from './core/creation.js';
/**
 * Counter-based random numbers (threefry, as JAX): explicit keys, `split` and `foldIn`, and samplers
 * (`uniform`, `normal`, ...) that are pure functions of a key.
 */
export * as random from './core/random.js';
export {
  abs,
  add,
  astype,
  type BinaryOp,
  cos,
  div,
  equal,
  exp,
  expm1,
  greater,
  greaterEqual,
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
  sigmoid,
  sign,
  sin,
  sqrt,
  square,
  sub,
  tan,
  tanh,
  where,
} from './rules/elementwise.js';
export { ceil, clip, erf, floor, logaddexp, logSigmoid, round, softplus } from './rules/math.js';
export { type Axes, type KeepdimsOrOptions, logSoftmax, logsumexp, max, mean, min, type ReduceOptions, softmax, sum } from './rules/reduction.js';
export { dot, matmul, outer } from './rules/linalg.js';
export { diagonal, trace, tril, triu } from './rules/matrix.js';
export { cholesky, det, inv, slogdet, solve, triangularSolve, type TriangularSolveOptions } from './rules/solve.js';
export { eigh, qr } from './rules/decompositions.js';
export { norm, type NormOptions, type NormOrder } from './rules/norm.js';
export { einsum } from './rules/einsum.js';
export {
  argmax,
  argmin,
  type ArgOptions,
  argsort,
  cumprod,
  cumsum,
  type MomentOptions,
  prod,
  type CumulativeOptions,
  sort,
  type SortOptions,
  std,
  topk,
  variance,
} from './rules/scans.js';
export { flip, repeat, type RepeatOptions, split, tile } from './rules/rearrange.js';
export { at, gather, type IndexArgument, type IndexedUpdate, oneHot, type OneHotOptions, takeAlongAxis } from './rules/indexing.js';
export { avgPool, conv, type ConvOptions, maxPool, type Padding, type PoolOptions } from './rules/conv.js';
export { broadcastTo, concat, expandDims, pad, reshape, slice, squeeze, stack, take, transpose } from './rules/structure.js';
export { GradCheckError } from './core/errors.js';
export type { Leaf, Tree } from './core/Tree.js';
export {
  grad,
  type Cotangent,
  type CotangentInput,
  type GradOptions,
  type GradResult,
  type GradSpec,
  type ValueAndGradResult,
  jvp,
  stopGradient,
  valueAndGrad,
  vjp,
} from './transforms/transforms.js';
export { hessian, hvp, jacfwd, jacrev, type Jacobian, type JacobianOptions } from './transforms/jacobians.js';
export { setCheckNumerics } from './transforms/scope.js';
export { customJvp, customVjp, type CustomRuleOptions } from './transforms/custom.js';
export { customLinearSolve, customRoot } from './transforms/implicit.js';
export { type Checkpointing, foriLoop, scan, type ScanOptions, whileLoop } from './transforms/loops.js';
export { cond, switchCase } from './transforms/branches.js';
export { type AxisSpec, vmap, type VmapOptions } from './transforms/vmap.js';
export { checkpoint, type CheckpointOptions, type CheckpointPolicy, remat } from './transforms/checkpoint.js';
export { checkGrads, type CheckGradsOptions, type CheckGradsReport } from './transforms/checkGrads.js';
export { printTape } from './transforms/printTape.js';
export { DomainError } from './core/errors.js';
export { type EffectTag, Program, run, runPromise } from './effects/Program.js';
export { type Cell, type DraftOf, State, type StateSnapshot } from './effects/State.js';
export { Random } from './effects/Random.js';
export { Log, type LogEntry } from './effects/Log.js';
export { Observe, observe } from './effects/Observe.js';
export { Checked, Fail } from './effects/Fail.js';
export { IO, type IOOptions, type NotAPromise } from './effects/IO.js';
/** Functions over pytrees (parameters, gradients, optimizer state): `map`, `map2`, `flatten`, `dot`, `norm`, ... */
export * as tree from './optim/tree.js';
/** Optimizers as pure gradient transformations (optax style): `sgd`, `momentum`, `adam`, `adamw`, `rmsprop`, `clipByGlobalNorm`, `chain`, `applyUpdates`. */
export * as optim from './optim/optimizers.js';
export {
  huber,
  type HuberOptions,
  type LossOptions,
  meanSquaredError,
  type Reduction,
  sigmoidBinaryCrossEntropy,
  softmaxCrossEntropy,
} from './optim/losses.js';
