/**
 * The scalar benchmark: a 100,000-op program over 0-d values, differentiated with respect to 100
 * inputs. It measures per-op overhead of recording and replaying the tape, which is what decides the
 * speed of scalar research code (DESIGN.md: "a scalar program should cost within a small factor of a
 * hand-written typed-array tape").
 *
 * The program, 5 ops per iteration:
 *
 *     s = S0; acc = 0
 *     for i in 0..N: j = i % 100; a = sin(s); b = s * x[j]; c = b * 0.1; s = a + c; acc = acc + s
 *     loss = acc
 *
 * `S0` is 0.5, not 0: from s = 0 every value is exactly 0 (sin 0 = 0, 0 · x = 0), the gradient is 0
 * and the cross-check between implementations would prove nothing. The op count is the same.
 *
 * Contestants, timed interleaved with the hand tape (one call of each per round) in one process,
 * medians reported; adjoint in a round of its own, micrograd and tfjs in a second one (see
 * `benchScalar` for why):
 * - adjoint: `grad` over an array of 100 0-d tensors;
 * - hand tape: the practical limit, a typed-array Wengert list written here (Float64Array values,
 *   Int32Array opcodes and operands; the forward loop records, the backward loop accumulates);
 * - micrograd: the object-graph design (Value nodes with children and a `_backward` closure, topo sort);
 * - tfjs (pure JS cpu backend, float32): `tf.grads`, at 10,000 ops because it is slow; per-op figures.
 */
import * as tf from '@tensorflow/tfjs';
import { add, grad, item, mul, random, scalar, sin, type Tensor, toArray, vjp } from '../src/index.js';
import { measureRounds, median, pairedRatio, printTable } from './harness.js';

const NX = 100;
const S0 = 0.5;
/** Iterations of the full program: 5 ops each, 100,000 ops. */
const ITERS = 20_000;
/** Iterations for tfjs: 10,000 ops. */
const TF_ITERS = 2_000;
const OPS_PER_ITER = 5;

// ---- adjoint --------------------------------------------------------------------------------------

function adjointProgram(iters: number): (xs: readonly Tensor[]) => Tensor {
  return (xs) => {
    let s: Tensor = scalar(S0);
    let acc: Tensor = scalar(0);
    for (let i = 0; i < iters; i++) {
      const j = i % NX;
      const a = sin(s);
      const b = mul(s, xs[j]!);
      const c = mul(b, 0.1);
      s = add(a, c);
      acc = add(acc, s);
    }
    return acc;
  };
}

function adjointGrad(xs: readonly Tensor[], iters: number): number[] {
  const g = grad(adjointProgram(iters))(xs) as readonly Tensor[];
  return g.map((t) => item(t));
}

// ---- hand-written typed-array tape ----------------------------------------------------------------

const OP_INPUT = 0;
const OP_SIN = 1;
const OP_MUL = 2;
const OP_MULC = 3; // value times a constant, kept in `cst`
const OP_ADD = 4;

/** A Wengert list in flat typed arrays: node k is `val[k] = op[k](val[a[k]], val[b[k]] | cst[k])`. */
class HandTape {
  n = 0;
  val: Float64Array;
  adj: Float64Array;
  cst: Float64Array;
  op: Int32Array;
  a: Int32Array;
  b: Int32Array;

  constructor(capacity: number) {
    this.val = new Float64Array(capacity);
    this.adj = new Float64Array(capacity);
    this.cst = new Float64Array(capacity);
    this.op = new Int32Array(capacity);
    this.a = new Int32Array(capacity);
    this.b = new Int32Array(capacity);
  }

  private push(op: number, v: number, a: number, b: number, c: number): number {
    const k = this.n++;
    if (k === this.val.length) this.grow();
    this.op[k] = op;
    this.val[k] = v;
    this.a[k] = a;
    this.b[k] = b;
    this.cst[k] = c;
    return k;
  }

  private grow(): void {
    const cap = this.val.length * 2;
    const f = (x: Float64Array): Float64Array => {
      const y = new Float64Array(cap);
      y.set(x);
      return y;
    };
    const i = (x: Int32Array): Int32Array => {
      const y = new Int32Array(cap);
      y.set(x);
      return y;
    };
    this.val = f(this.val);
    this.adj = f(this.adj);
    this.cst = f(this.cst);
    this.op = i(this.op);
    this.a = i(this.a);
    this.b = i(this.b);
  }

  input(v: number): number {
    return this.push(OP_INPUT, v, -1, -1, 0);
  }
  sin(x: number): number {
    return this.push(OP_SIN, Math.sin(this.val[x]!), x, -1, 0);
  }
  mul(x: number, y: number): number {
    return this.push(OP_MUL, this.val[x]! * this.val[y]!, x, y, 0);
  }
  mulc(x: number, c: number): number {
    return this.push(OP_MULC, this.val[x]! * c, x, -1, c);
  }
  add(x: number, y: number): number {
    return this.push(OP_ADD, this.val[x]! + this.val[y]!, x, y, 0);
  }

  /** Seeds d out = 1 and accumulates adjoints backward. */
  backward(out: number): void {
    const { val, adj, cst, op, a, b } = this;
    adj.fill(0, 0, this.n);
    adj[out] = 1;
    for (let k = out; k >= 0; k--) {
      const g = adj[k]!;
      if (g === 0) continue;
      const x = a[k]!;
      switch (op[k]) {
        case OP_SIN:
          adj[x] = adj[x]! + g * Math.cos(val[x]!);
          break;
        case OP_MUL: {
          const y = b[k]!;
          adj[x] = adj[x]! + g * val[y]!;
          adj[y] = adj[y]! + g * val[x]!;
          break;
        }
        case OP_MULC:
          adj[x] = adj[x]! + g * cst[k]!;
          break;
        case OP_ADD:
          adj[x] = adj[x]! + g;
          adj[b[k]!] = adj[b[k]!]! + g;
          break;
      }
    }
  }
}

function handGrad(xs: readonly number[], iters: number): number[] {
  const t = new HandTape(NX + OPS_PER_ITER * iters + 2);
  const xi = xs.map((v) => t.input(v));
  let s = t.input(S0);
  let acc = t.input(0);
  for (let i = 0; i < iters; i++) {
    const j = i % NX;
    const a = t.sin(s);
    const b = t.mul(s, xi[j]!);
    const c = t.mulc(b, 0.1);
    s = t.add(a, c);
    acc = t.add(acc, s);
  }
  t.backward(acc);
  return xi.map((k) => t.adj[k]!);
}

// ---- micrograd-style object graph -------------------------------------------------------------------

class Value {
  grad = 0;
  _backward: () => void = () => {};
  constructor(
    public data: number,
    readonly _prev: readonly Value[] = [],
  ) {}

  sin(): Value {
    const out = new Value(Math.sin(this.data), [this]);
    out._backward = () => {
      this.grad += Math.cos(this.data) * out.grad;
    };
    return out;
  }
  mul(other: Value | number): Value {
    const o = other instanceof Value ? other : new Value(other);
    const out = new Value(this.data * o.data, [this, o]);
    out._backward = () => {
      this.grad += o.data * out.grad;
      o.grad += this.data * out.grad;
    };
    return out;
  }
  add(other: Value): Value {
    const out = new Value(this.data + other.data, [this, other]);
    out._backward = () => {
      this.grad += out.grad;
      other.grad += out.grad;
    };
    return out;
  }

  /** Topological order by an explicit-stack DFS (recursion would overflow on a 100,000-deep graph). */
  backward(): void {
    const topo: Value[] = [];
    const visited = new Set<Value>();
    const stack: Array<[Value, number]> = [[this, 0]];
    visited.add(this);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const [v, i] = top;
      if (i < v._prev.length) {
        top[1] = i + 1;
        const c = v._prev[i]!;
        if (!visited.has(c)) {
          visited.add(c);
          stack.push([c, 0]);
        }
      } else {
        stack.pop();
        topo.push(v);
      }
    }
    this.grad = 1;
    for (let k = topo.length - 1; k >= 0; k--) topo[k]!._backward();
  }
}

function micrograd(xs: readonly number[], iters: number): number[] {
  const xv = xs.map((v) => new Value(v));
  let s = new Value(S0);
  let acc = new Value(0);
  for (let i = 0; i < iters; i++) {
    const j = i % NX;
    const a = s.sin();
    const b = s.mul(xv[j]!);
    const c = b.mul(0.1);
    s = a.add(c);
    acc = acc.add(s);
  }
  acc.backward();
  return xv.map((v) => v.grad);
}

// ---- tfjs -----------------------------------------------------------------------------------------

function tfGrad(xs: readonly tf.Scalar[], iters: number): number[] {
  const c01 = tf.scalar(0.1);
  const s0 = tf.scalar(S0);
  const z = tf.scalar(0);
  const f = (...x: tf.Tensor[]): tf.Tensor => {
    let s: tf.Tensor = s0;
    let acc: tf.Tensor = z;
    for (let i = 0; i < iters; i++) {
      const j = i % NX;
      const a = tf.sin(s);
      const b = tf.mul(s, x[j]!);
      const c = tf.mul(b, c01);
      s = tf.add(a, c);
      acc = tf.add(acc, s);
    }
    return acc;
  };
  const g = tf.tidy(() => tf.grads(f)([...xs]));
  const out = g.map((t) => t.dataSync()[0]!);
  tf.dispose(g);
  tf.dispose([c01, s0, z]);
  return out;
}

// ---- helpers --------------------------------------------------------------------------------------

/** Largest |a_i - b_i| / max(|b|_inf, tiny), the error relative to the reference's scale. */
function relDiff(a: readonly number[], ref: readonly number[]): { abs: number; rel: number } {
  let abs = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    abs = Math.max(abs, Math.abs(a[i]! - ref[i]!));
    scale = Math.max(scale, Math.abs(ref[i]!));
  }
  return { abs, rel: abs / Math.max(scale, 1e-300) };
}

/**
 * Bytes retained per recorded op, counting the JS heap and typed-array backing stores (which live
 * outside the heap: `arrayBuffers`): the memory before and after `build` records a program, while
 * what it built (the pullback, which holds the tape) stays alive, over the op count. Repeated
 * several times, median. Every build is kept until the end: a dropped build's array buffers are
 * freed by V8 some time after the collection, and freed during a later build they made that build
 * look smaller. With `--expose-gc` (`npm run bench`) we collect before each reading, so the figure
 * is the retained size alone; without it, short-lived garbage is counted too.
 */
function bytesPerOp(build: () => unknown, ops: number, reps: number, unmeasuredFirst = false): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  const used = (): number => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const samples: number[] = [];
  // a first build that is kept alive but not measured (see the adjoint call below)
  const kept: unknown[] = unmeasuredFirst ? [build()] : [];
  for (let r = 0; r < reps; r++) {
    gc?.();
    const before = used();
    kept.push(build());
    gc?.();
    samples.push((used() - before) / ops);
  }
  if (kept.some((k) => k === undefined)) throw new Error('bytesPerOp: build returned nothing');
  return median(samples);
}

// ---- the benchmark --------------------------------------------------------------------------------

export async function benchScalar(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
  const xVals = (toArray(random.uniform(random.key(0), [NX])) as number[]).map((v) => 0.5 + 0.5 * v);
  const xs = xVals.map((v) => scalar(v));
  const txs = xVals.map((v) => tf.scalar(v, 'float32'));
  const ops = OPS_PER_ITER * ITERS;
  const tfOps = OPS_PER_ITER * TF_ITERS;

  // correctness first: every implementation against the hand tape
  const ref = handGrad(xVals, ITERS);
  const refSmall = handGrad(xVals, TF_ITERS);
  const checks: Array<[string, number[], readonly number[], number]> = [
    ['adjoint', adjointGrad(xs, ITERS), ref, 1e-9],
    ['micrograd', micrograd(xVals, ITERS), ref, 1e-9],
    ['tfjs (float32, 10k ops)', tfGrad(txs, TF_ITERS), refSmall, 1e-3],
  ];
  console.log(`gradient check vs hand tape (|grad|max = ${Math.max(...ref.map(Math.abs)).toPrecision(4)}):`);
  for (const [name, g, r, tol] of checks) {
    const d = relDiff(g, r);
    console.log(`  ${name}: max abs diff ${d.abs.toExponential(2)}, relative ${d.rel.toExponential(2)} (tolerance ${tol})`);
    if (!(d.rel <= tol)) throw new Error(`scalar benchmark: ${name} disagrees with the hand tape (relative ${d.rel}, tolerance ${tol})`);
  }

  // Two rounds of timing, each interleaved with the hand tape, with a full collection between them.
  // micrograd's graphs leave old-generation garbage that still points into the young generation, so
  // the next contestant's scavenges copy micrograd's young garbage (seen with --trace-gc: 4-9 ms per
  // scavenge). The hand tape makes no per-op objects and hardly notices; adjoint makes one per op and
  // is billed for it. The bar is taken from the first round (hand tape and adjoint only); adjoint is
  // timed in the second round too, and that figure is printed beside it.
  const gc = (globalThis as { gc?: () => void }).gc;
  const ns = (ms: number, n: number): number => (ms * 1e6) / n;
  gc?.();
  const adjointRound = measureRounds([() => handGrad(xVals, ITERS), () => adjointGrad(xs, ITERS)], { minRuns: 31, minTimeMs: 0, warmupRuns: 5 });
  gc?.();
  const othersRound = measureRounds([() => handGrad(xVals, ITERS), () => micrograd(xVals, ITERS), () => tfGrad(txs, TF_ITERS), () => adjointGrad(xs, ITERS)], {
    minRuns: 11,
    minTimeMs: 0,
    warmupRuns: 2,
  });
  const [tHand, tAdj] = adjointRound.map(median) as [number, number];
  const [tHand2, tMicro, tTf] = othersRound.map(median) as [number, number, number, number];
  const ratio = pairedRatio(adjointRound, 1, 0);
  const rows: Array<[string, number, number]> = [
    ['hand tape (typed arrays)', ns(tHand, ops), 1],
    ['adjoint', ns(tAdj, ops), ratio],
    ['micrograd-style objects', ns(tMicro, ops), pairedRatio(othersRound, 1, 0)],
    ['tfjs cpu (10k ops)', ns(tTf, tfOps), (pairedRatio(othersRound, 2, 0) * ops) / tfOps],
  ];
  printTable(
    `scalar program, forward + backward, ${ops.toLocaleString('en')} ops (median ns/op; "x hand tape": median over rounds of the time ratio to the hand tape timed beside it)`,
    ['implementation', 'ns/op', 'x hand tape'],
    rows.map(([name, v, r]) => [name, v, `${r.toFixed(1)}x`]),
  );
  console.log(
    `(micrograd and tfjs were timed in a second round, beside the hand tape at ${ns(tHand2, ops).toFixed(1)} ns/op; ` +
      `adjoint, timed in that round too, paying for their garbage in its scavenges: ${pairedRatio(othersRound, 3, 0).toFixed(1)}x)`,
  );
  console.log(`bar "adjoint ≤ 4x hand tape": ${ratio.toFixed(2)}x — ${ratio <= 4 ? 'MET' : 'NOT MET'}`);

  const f = adjointProgram(ITERS);
  // The first vjp after a grad records into the tape arrays that grad handed on; it is kept out of
  // the measurement (and alive), so every measured tape allocates its own.
  const bAdj = bytesPerOp(() => vjp(f, xs)[1], ops, 7, true);
  const bMicro = bytesPerOp(() => {
    const xv = xVals.map((v) => new Value(v));
    let s = new Value(S0);
    let acc = new Value(0);
    for (let i = 0; i < ITERS; i++) {
      const a = s.sin();
      const c = s.mul(xv[i % NX]!).mul(0.1);
      s = a.add(c);
      acc = acc.add(s);
    }
    return acc;
  }, ops, 7);
  const method = (globalThis as { gc?: () => void }).gc ? 'heap + array buffers, gc before each reading' : 'heap + array buffers delta, no forced gc';
  console.log(
    `bytes per recorded op (${method}, median of 7): adjoint ${bAdj.toFixed(0)}, micrograd-style ${bMicro.toFixed(0)}, hand tape ${8 * 3 + 4 * 3} (fixed layout)`,
  );
  tf.dispose(txs);
}

// Errors are printed and set the exit code rather than thrown out: the tfjs wasm module installs an
// uncaughtException handler that rethrows, which would print its whole minified source.
if (import.meta.url === `file://${process.argv[1]}`) await benchScalar().catch(reportFailure);

/** Prints a benchmark failure and marks the process as failed. */
export function reportFailure(e: unknown): void {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exitCode = 1;
}
