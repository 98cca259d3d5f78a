/**
 * The loops and checkpointing benchmark (issue 9, "Memory and time"): what `scan`, `whileLoop` and
 * `checkpoint` cost in time and in retained memory, side by side in one run, each result checked
 * against its reference first.
 *
 * The loop is a small nonlinear map on a carry of 16 float64 values, 9 ops per step, closing over
 * its parameters p = { W (16 x 16), b, c, g (16 each) }:
 *
 *     h ← h + dt · g ⊙ (tanh(W h + b) − c ⊙ sin h)        loss = Σ h_N²,  gradient with respect to p
 *
 * 1. `grad` through `scan` with `checkpoint: 'all'` against the same loop unrolled by hand onto the
 *    tape: time (median of paired ratios) and peak retained memory.
 * 2. The same scan with `{ snapshots: 100 }`: peak retained memory against 100 carries plus one
 *    step's residuals; recomputed steps (the body wrapped with a counter) against the optimum of
 *    binomial checkpointing; the gradient against `'all'`'s; time per step against `'all'`.
 * 3. `whileLoop` with `{ snapshots: 50 }` on the same map, stopped by a clock in the carry, so the
 *    trip count is found by running: peak memory and body evaluations per step.
 * 4. `checkpoint` around each layer of a 16-layer MLP: peak memory and time against none.
 *
 * Retained memory is measured two ways, each where it is accurate:
 *
 * - megabytes (sections 1 and 4): `process.memoryUsage().arrayBuffers` plus the V8 heap's used size
 *   outside its code spaces, after two `gc()` calls, minus the same reading just before the `grad`
 *   call; read when the forward pass is done (the tape is alive and the reverse pass has not
 *   started) and at about 20 points of the reverse pass, by a memory tap (an identity whose
 *   `customVjp` `bwd` takes the reading) on the carry or between layers; the peak is the largest.
 *   These figures carry some 100-300 KB of V8's own noise (feedback, unswept space), nothing next
 *   to megabytes.
 * - kilobytes (sections 2 and 3, where the bound is about 50 KB): a heap snapshot
 *   (`v8.writeHeapSnapshot`, which collects first), summing the sizes of every live object except
 *   compiled code, minus the same sum just before the `grad` call. It is taken in the body when the
 *   reverse pass evaluates it for the first step it reverses: binomial checkpointing then holds all
 *   of its snapshots (the recursion is at its deepest), the most it ever holds.
 *
 * Needs `--expose-gc` (`npm run bench` passes it).
 *
 * Sizes: the (10^5 steps for 1 and 3, 10^6 for 2) take many minutes on a 2-core machine,
 * so `npm run bench` times 10^4 steps in 1 (and in the comparison with 'all' in 2) and runs 5 x 10^4
 * in 2 and 3: per-step figures do not depend on the length, and the peak of 2 and 3 does not grow
 * with it. Section 1's memory is always read at 10^5 steps (shorter tapes are kept for reuse by the
 * next call, which would flatter whichever runs second). The bounds of 2 and 3 add what `grad`
 * holds whatever the loop's length (the parameters' cotangents, the outer tape), measured as the
 * same `grad` through a 1-step loop less its one carry. `BENCH_FULL=1 npm run bench` runs the
 * issue's sizes.
 *
 * Run alone with `npx tsx --expose-gc bench/loops.ts`.
 */
import { readFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import {
  add,
  checkpoint,
  customVjp,
  grad,
  greater,
  matmul,
  mul,
  random,
  scalar,
  scan,
  sin,
  square,
  sub,
  sum,
  tanh,
  type Tensor,
  toTypedArray,
  whileLoop,
} from '../src/index.js';
import { beta } from '../src/transforms/revolve.js';
import { formatNumber, measureRounds, median, pairedRatio, printTable } from './harness.js';

const FULL = process.env['BENCH_FULL'] === '1';
const D = 16;
const DT = 0.05;
/** Steps of section 1 (and of the comparison with 'all' in section 2). */
const N_ALL = FULL ? 100_000 : 10_000;
/** Steps of section 1's memory readings: past 2^20 tape slots (11 a step), so no tape is kept for reuse. */
const N_MEMORY = 100_000;
/** Steps of section 2. */
const N_LONG = FULL ? 1_000_000 : 50_000;
/** Steps of section 3. */
const N_WHILE = FULL ? 100_000 : 50_000;
const SNAPSHOTS = 100;

interface Params {
  readonly W: Tensor;
  readonly b: Tensor;
  readonly c: Tensor;
  readonly g: Tensor;
}

const params: Params = {
  W: mul(random.normal(random.key(1), [D, D]), 0.3),
  b: mul(random.normal(random.key(2), [D]), 0.1),
  c: add(0.5, random.uniform(random.key(3), [D])),
  g: add(0.5, random.uniform(random.key(4), [D])),
};
const h0 = random.normal(random.key(5), [D]);

/** One step of the map: 9 ops. */
const step = (p: Params, h: Tensor): Tensor => add(h, mul(DT, mul(p.g, sub(tanh(add(matmul(p.W, h), p.b)), mul(p.c, sin(h))))));

// ---- memory -------------------------------------------------------------------------------------

const gcFn = (globalThis as { gc?: () => void }).gc;

/** Array buffers plus the heap outside its code spaces, after two full collections, in bytes. */
function retained(): number {
  if (gcFn === undefined) throw new Error('bench/loops.ts needs --expose-gc (npm run bench passes it)');
  gcFn();
  gcFn();
  let heap = 0;
  for (const space of v8.getHeapSpaceStatistics()) if (!space.space_name.startsWith('code')) heap += space.space_used_size;
  return heap + process.memoryUsage().arrayBuffers;
}

/**
 * Bytes of live objects from a heap snapshot (taking one collects garbage first): every object
 * except compiled code (`all`), and only the program's data (`data`: without V8's hidden classes
 * and internal objects, which new code paths create once).
 */
function liveBytes(): { readonly all: number; readonly data: number } {
  const file = v8.writeHeapSnapshot(join(tmpdir(), `adjoint-bench-${process.pid}.heapsnapshot`));
  try {
    const snapshot = JSON.parse(readFileSync(file, 'utf8')) as { snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }; nodes: number[] };
    const fields = snapshot.snapshot.meta.node_fields;
    const [type, size] = [fields.indexOf('type'), fields.indexOf('self_size')];
    const types = snapshot.snapshot.meta.node_types[0];
    const [code, hidden, shape] = ['code', 'hidden', 'object shape'].map((t) => types.indexOf(t));
    let all = 0;
    let data = 0;
    for (let i = 0; i < snapshot.nodes.length; i += fields.length) {
      const t = snapshot.nodes[i + type]!;
      if (t === code) continue;
      all += snapshot.nodes[i + size]!;
      if (t !== hidden && t !== shape) data += snapshot.nodes[i + size]!;
    }
    return { all, data };
  } finally {
    unlinkSync(file);
  }
}

/** The peak of readings taken during a run, above the reading before it. */
class MemoryProbe {
  private base = 0;
  peak = 0;
  readings = 0;
  start(): void {
    this.base = retained();
    this.peak = 0;
    this.readings = 0;
  }
  read(): number {
    this.readings++;
    const r = retained() - this.base;
    this.peak = Math.max(this.peak, r);
    return r;
  }
}

/** The identity, whose pullback reads the memory: a probe inside the reverse pass. */
const memoryTap = (probe: MemoryProbe) =>
  customVjp(
    (x: Tensor) => x,
    (x: Tensor) => [x, []] as const,
    (_residuals: readonly [], ct: Tensor) => {
      probe.read();
      return [ct] as [Tensor];
    },
  );

/** Bytes one carry (a 16-vector) holds, measured: the growth of an array of 10^4 fresh ones, per one. */
function carryBytes(): number {
  const n = 10_000;
  const before = retained();
  const keep: Tensor[] = [];
  for (let i = 0; i < n; i++) keep.push(add(h0, i));
  const bytes = (retained() - before) / n;
  if (keep.length !== n) throw new Error('unreachable');
  return bytes;
}

// ---- the contestants ----------------------------------------------------------------------------

/** Called at every evaluation of a loop body. */
interface Counter {
  tick(): void;
}

type Schedule = 'all' | { readonly snapshots: number };

/** What a memory run adds to a contestant: a tap on the carry every `tapEvery` steps, a hook when the forward pass is done. */
interface Hooks {
  readonly counter?: Counter;
  readonly tap?: (x: Tensor) => Tensor;
  readonly tapEvery?: number;
  readonly onForwardDone?: () => void;
}

/** The loss through `scan`. */
function viaScan(n: number, schedule: Schedule, hooks: Hooks = {}) {
  const { counter, tap, tapEvery = 0, onForwardDone } = hooks;
  return (p: Params): Tensor => {
    let k = 0;
    const body = (h: Tensor): readonly [Tensor, readonly []] => {
      counter?.tick();
      const next = step(p, h);
      return [tap !== undefined && k++ % tapEvery === 0 ? tap(next) : next, []] as const;
    };
    const [hN] = scan(body, h0, undefined, { length: n, checkpoint: schedule });
    const loss = sum(square(hN));
    onForwardDone?.();
    return loss;
  };
}

/** The same loss, unrolled onto the tape by a JavaScript loop. */
function unrolled(n: number, hooks: Hooks = {}) {
  const { tap, tapEvery = 0, onForwardDone } = hooks;
  return (p: Params): Tensor => {
    let h = h0;
    for (let i = 0; i < n; i++) {
      h = step(p, h);
      if (tap !== undefined && i % tapEvery === 0) h = tap(h);
    }
    const loss = sum(square(h));
    onForwardDone?.();
    return loss;
  };
}

/** The map run by `whileLoop` until a clock in the carry passes (n - 1/2) · DT: its trip count is found by running. */
function viaWhile(n: number, snapshots: number, hooks: Hooks = {}) {
  const { counter, onForwardDone } = hooks;
  const horizon = (n - 0.5) * DT;
  return (p: Params): Tensor => {
    const [hN] = whileLoop(
      ([, t]: readonly [Tensor, Tensor]) => greater(horizon, t),
      ([h, t]: readonly [Tensor, Tensor]) => {
        counter?.tick();
        return [step(p, h), add(t, DT)] as const;
      },
      [h0, scalar(0)] as const,
      { checkpoint: { snapshots } },
    );
    const loss = sum(square(hN));
    onForwardDone?.();
    return loss;
  };
}

const gradOf = (f: (p: Params) => Tensor) => (): Params => grad(f)(params) as Params;

/** Tensors' values end to end. */
function flat(ts: ReadonlyArray<Tensor>): Float64Array {
  const parts = ts.map((t) => toTypedArray(t) as Float64Array);
  const out = new Float64Array(parts.reduce((s, a) => s + a.length, 0));
  let at = 0;
  for (const a of parts) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}
const flatGrad = (g: Params): Float64Array => flat([g.W, g.b, g.c, g.g]);

/** max |a - b| / max |b|. */
function relativeDiff(a: Float64Array, b: Float64Array): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return d / m;
}

function checkClose(what: string, a: Float64Array, b: Float64Array): void {
  const diff = relativeDiff(a, b);
  console.log(`${what}: max relative difference ${diff.toExponential(2)} (tolerance 1e-12)`);
  if (!(diff <= 1e-12)) throw new Error(`${what}: the gradients disagree (${diff})`);
}

/**
 * The fewest steps binomial checkpointing recomputes to reverse n steps holding s carries besides
 * the first (Griewank 1992): t·n − β(s + 2, t − 1), with t the least such that β(s + 1, t) ≥ n.
 */
export function optimalRecomputation(n: number, s: number): number {
  let t = 0;
  while (beta(s + 1, t) < n) t++;
  return t === 0 ? 0 : t * n - beta(s + 2, t - 1);
}

const kb = (bytes: number): string => `${formatNumber(bytes / 1024)} KB`;
const mb = (bytes: number): string => `${formatNumber(bytes / 2 ** 20)} MB`;
const seconds = (ms: number): string => `${formatNumber(ms / 1000)} s`;

/**
 * Runs `grad` of a checkpointed loop once, counting body evaluations, and measures the live bytes
 * (heap snapshots) before the call and when the reverse pass evaluates the body for the first step
 * it reverses (the `n`-th evaluation of the reverse pass: the schedule first advances over the
 * `n - 1` others), when every snapshot is held.
 */
function countedRun(make: (hooks: Hooks) => (p: Params) => Tensor, n: number) {
  let forwardCalls = 0;
  let reversing = false;
  let calls = 0;
  let atPeak = { all: 0, data: 0 };
  const counter: Counter = {
    tick: () => {
      calls++;
      if (reversing && calls === n) atPeak = liveBytes();
    },
  };
  const f = make({
    counter,
    onForwardDone: () => {
      forwardCalls = calls;
      calls = 0;
      reversing = true;
    },
  });
  const before = liveBytes();
  const t0 = performance.now();
  grad(f)(params);
  const ms = performance.now() - t0;
  reversing = false;
  // the reverse pass evaluates the body once per step to take its vjp; the rest is recomputation
  return { ms, peak: atPeak.all - before.all, peakData: atPeak.data - before.data, forwardCalls, reverseCalls: calls, recomputed: calls - n };
}

// ---- 1. scan 'all' against the unrolled loop ------------------------------------------------------

function benchAll(): { bytesPerStep: number } {
  const n = N_ALL;
  checkClose(`gradient of scan 'all' vs unrolled, ${n} steps`, flatGrad(gradOf(viaScan(n, 'all'))()), flatGrad(gradOf(unrolled(n))()));

  const probe = new MemoryProbe();
  let forwardDone = 0;
  const hooks: Hooks = { tap: memoryTap(probe), tapEvery: Math.ceil(n / 20), onForwardDone: () => (forwardDone = probe.read()) };
  const memory = (f: (p: Params) => Tensor): [number, number] => {
    probe.start();
    grad(f)(params);
    return [forwardDone, probe.peak];
  };
  // memory at N_MEMORY steps: shorter tapes are kept for reuse by the next call, which would let
  // the unrolled loop record onto arrays an earlier call left (counted before the call) while
  // scan's own tape allocates; past 2^20 slots neither is kept, so both allocate what they use
  const nm = N_MEMORY;
  const hooksM: Hooks = { ...hooks, tapEvery: Math.ceil(nm / 20) };
  const [fwdUnrolled, memUnrolled] = memory(unrolled(nm, hooksM));
  const [fwdScan, memScan] = memory(viaScan(nm, 'all', hooksM));
  const readings = probe.readings;

  const times = measureRounds([gradOf(unrolled(n)), gradOf(viaScan(n, 'all'))], { minRuns: FULL ? 3 : 5, minTimeMs: 0, warmupRuns: 1 });
  const [tu, ts] = times.map(median) as [number, number];
  const ratio = pairedRatio(times, 1, 0);
  const memRatio = memScan / memUnrolled;
  printTable(
    `grad through ${n} steps of the 16-vector map (9 ops a step): median ms of ${times[0]!.length} paired rounds ("x unrolled": median of the paired ratios); retained memory when the forward pass is done, and its peak (${readings} readings a run)`,
    ['implementation', 'ms', 'µs/step', 'x unrolled', 'after forward', 'bytes/step', 'x unrolled', 'peak', 'bytes/step', 'x unrolled'],
    [
      ['unrolled onto the tape', tu, (tu * 1000) / n, '1.00x', mb(fwdUnrolled), fwdUnrolled / nm, '1.00x', mb(memUnrolled), memUnrolled / nm, '1.00x'],
      ["scan, checkpoint: 'all'", ts, (ts * 1000) / n, `${ratio.toFixed(2)}x`, mb(fwdScan), fwdScan / nm, `${(fwdScan / fwdUnrolled).toFixed(2)}x`, mb(memScan), memScan / nm, `${memRatio.toFixed(2)}x`],
    ],
  );
  console.log(`(time at ${n} steps; memory at ${nm} steps, one run each, where no tape is kept for reuse between calls)`);
  console.log(`bar "scan 'all' time ≤ 1.5x unrolled": ${ratio.toFixed(2)}x — ${ratio <= 1.5 ? 'MET' : 'NOT MET'}`);
  console.log(`bar "scan 'all' peak memory ≤ unrolled": ${memRatio.toFixed(2)}x — ${memRatio <= 1 ? 'MET' : 'NOT MET'}`);
  return { bytesPerStep: memScan / nm };
}

// ---- 2. binomial checkpointing ---------------------------------------------------------------------

function benchSnapshots(allStep: { bytesPerStep: number }): void {
  const s = SNAPSHOTS;
  const nCmp = N_ALL;
  checkClose(`\ngradient of scan { snapshots: ${s} } vs 'all', ${nCmp} steps`, flatGrad(gradOf(viaScan(nCmp, { snapshots: s }))()), flatGrad(gradOf(viaScan(nCmp, 'all'))()));
  const times = measureRounds([gradOf(viaScan(nCmp, 'all')), gradOf(viaScan(nCmp, { snapshots: s }))], { minRuns: 3, minTimeMs: 0, warmupRuns: 1 });
  const [tAll, tSnap] = times.map(median) as [number, number];

  const n = N_LONG;
  const expected = optimalRecomputation(n, s);
  const run = countedRun((hooks) => viaScan(n, { snapshots: s }, hooks), n);
  // what one more snapshot costs: a short loop with 10 s of them, against the long one with s
  const nMany = 5000;
  const many = countedRun((hooks) => viaScan(nMany, { snapshots: 10 * s }, hooks), nMany);
  const perSnapshot = (many.peak - run.peak) / (9 * s);
  const carry = carryBytes();
  // what grad holds whatever the loop's length (the parameters' cotangents, the outer tape, the
  // loop's equation): the same grad through a 1-step loop, less its one carry
  const fixed = countedRun((hooks) => viaScan(1, { snapshots: s }, hooks), 1).peak - carry;
  const bound = s * carry + allStep.bytesPerStep + fixed;
  printTable(
    `scan with checkpoint: { snapshots: ${s} }, ${n} steps (one run, ${seconds(run.ms)}); live bytes from heap snapshots, at the first step the reverse pass reverses`,
    ['quantity', 'measured', 'reference', 'ratio'],
    [
      [
        'peak retained memory',
        kb(run.peak),
        `${kb(bound)}: ${s} carries of ${formatNumber(carry)} B + one step's residuals (${formatNumber(allStep.bytesPerStep)} B, section 1) + ${kb(fixed)} held whatever the length (a 1-step loop's grad)`,
        `${(run.peak / bound).toFixed(2)}x`,
      ],
      ["the same, V8's hidden classes and internal objects left out", kb(run.peakData), kb(bound), `${(run.peakData / bound).toFixed(2)}x`],
      [`the same, ${nMany} steps and ${10 * s} snapshots`, kb(many.peak), `${formatNumber(perSnapshot)} B per extra snapshot; a carry is ${formatNumber(carry)} B`, `${(perSnapshot / carry).toFixed(2)}x`],
      ['recomputed steps', run.recomputed, `${expected}: the binomial optimum for (${n}, ${s})`, `${(run.recomputed / expected).toFixed(4)}x`],
      ['recomputed steps per step', run.recomputed / n, formatNumber(expected / n), ''],
      ['body evaluations per step (forward, recomputation, vjp)', (run.forwardCalls + run.reverseCalls) / n, '', ''],
      [`time per step, ${nCmp} steps, median of ${times[0]!.length} (µs)`, (tSnap * 1000) / nCmp, `${formatNumber((tAll * 1000) / nCmp)} with 'all'`, `${pairedRatio(times, 1, 0).toFixed(2)}x`],
      [`time per step, ${n} steps, one run with 2 heap snapshots (µs)`, (run.ms * 1000) / n, '', ''],
    ],
  );
  console.log(`(with 'all', ${n} steps would retain about ${mb(allStep.bytesPerStep * n)})`);
  console.log(`bar "recomputed steps = the binomial optimum": ${run.recomputed === expected ? 'MET' : 'NOT MET'}`);
  console.log(`bar "peak memory ≤ ${s} carries + one step's residuals (+ what a 1-step loop's grad holds)": ${(run.peak / bound).toFixed(2)}x — ${run.peak <= bound ? 'MET' : 'NOT MET'}`);
}

// ---- 3. whileLoop ------------------------------------------------------------------------------------

function benchWhile(allStep: { bytesPerStep: number }): void {
  const s = SNAPSHOTS;
  const n = N_WHILE;
  const nCheck = 2000;
  checkClose(`\ngradient of whileLoop { snapshots: ${s} } vs scan 'all', ${nCheck} steps`, flatGrad(gradOf(viaWhile(nCheck, s))()), flatGrad(gradOf(viaScan(nCheck, 'all'))()));
  const expected = optimalRecomputation(n, s);
  const run = countedRun((hooks) => viaWhile(n, s, hooks), n);
  const carry = carryBytes() + 200; // and the clock, a 0-d tensor
  const fixed = countedRun((hooks) => viaWhile(1, s, hooks), 1).peak - carry;
  const bound = s * carry + allStep.bytesPerStep + fixed;
  printTable(
    `whileLoop with checkpoint: { snapshots: ${s} }, ${n} steps found by running (one run, ${seconds(run.ms)}); live bytes as in section 2`,
    ['quantity', 'measured', 'reference', 'ratio'],
    [
      ['peak retained memory', kb(run.peak), `${kb(bound)}: ${s} carries + one step's residuals + ${kb(fixed)} held whatever the length (a 1-step loop's grad)`, `${(run.peak / bound).toFixed(2)}x`],
      ["the same, V8's hidden classes and internal objects left out", kb(run.peakData), kb(bound), `${(run.peakData / bound).toFixed(2)}x`],
      ['forward evaluations per step', run.forwardCalls / n, '2: the run that finds the count, then the recorded one', ''],
      ['recomputed steps per step (reverse pass)', run.recomputed / n, `${formatNumber(expected / n)}: the binomial optimum for the count found`, `${(run.recomputed / expected).toFixed(4)}x`],
      ['body evaluations per step in all', (run.forwardCalls + run.reverseCalls) / n, '', ''],
    ],
  );
  console.log(`bar "whileLoop memory bounded by ${s} carries (+ one step, + what a 1-step loop's grad holds)": ${(run.peak / bound).toFixed(2)}x — ${run.peak <= bound ? 'MET' : 'NOT MET'}`);
}

// ---- 4. checkpoint around each layer of a 16-layer MLP ------------------------------------------------

function benchMlp(): void {
  const layers = 16;
  const width = 256;
  const batch = 64;
  const p = {
    ws: Array.from({ length: layers }, (_, i) => mul(random.normal(random.key(100 + i), [width, width]), 1 / Math.sqrt(width))),
    bs: Array.from({ length: layers }, (_, i) => mul(random.normal(random.key(200 + i), [width]), 0.1)),
  };
  type P = typeof p;
  const x = random.normal(random.key(300), [batch, width]);
  const layer = (w: Tensor, b: Tensor, h: Tensor): Tensor => tanh(add(matmul(h, w), b));
  const checkpointed = checkpoint(layer);
  let forwardDone = 0;
  const net = (l: typeof layer, probe?: MemoryProbe) => {
    const tap = probe === undefined ? undefined : memoryTap(probe);
    return (q: P): Tensor => {
      let h = x;
      for (let i = 0; i < layers; i++) {
        h = l(q.ws[i]!, q.bs[i]!, h);
        if (tap !== undefined) h = tap(h);
      }
      const loss = sum(square(h));
      if (probe !== undefined) forwardDone = probe.read();
      return loss;
    };
  };
  const gradFlat = (f: (q: P) => Tensor) => (): Float64Array => {
    const g = grad(f)(p) as unknown as P;
    return flat([...g.ws, ...g.bs]);
  };
  checkClose('\ngradient with checkpoint around each layer vs without', gradFlat(net(checkpointed))(), gradFlat(net(layer))());
  const memoryOf = (l: typeof layer): [number, number] => {
    const probe = new MemoryProbe();
    probe.start();
    grad(net(l, probe))(p);
    return [forwardDone, probe.peak];
  };
  const [[fwdPlain, memPlain], [fwdCkpt, memCkpt]] = [memoryOf(layer), memoryOf(checkpointed)];
  const times = measureRounds([gradFlat(net(layer)), gradFlat(net(checkpointed))], { minRuns: 7, minTimeMs: 0, warmupRuns: 1 });
  const [tp, tc] = times.map(median) as [number, number];
  const activation = batch * width * 8;
  const gradient = layers * (width * width + width) * 8;
  printTable(
    `MLP, ${layers} layers of tanh(h W + b), width ${width}, batch ${batch}, float64, grad with respect to every W and b: median ms of ${times[0]!.length} paired rounds; retained memory when the forward pass is done (the tape) and its peak (read then and between layers in the reverse pass; the gradient, ${mb(gradient)}, builds up in the reverse pass); an activation is ${kb(activation)}`,
    ['checkpointing', 'ms', 'x none', 'after forward', 'activations', 'x none', 'peak', 'x none'],
    [
      ['none', tp, '1.00x', mb(fwdPlain), fwdPlain / activation, '1.00x', mb(memPlain), '1.00x'],
      ['checkpoint(layer) for each layer', tc, `${pairedRatio(times, 1, 0).toFixed(2)}x`, mb(fwdCkpt), fwdCkpt / activation, `${(fwdCkpt / fwdPlain).toFixed(2)}x`, mb(memCkpt), `${(memCkpt / memPlain).toFixed(2)}x`],
    ],
  );
}

export async function benchLoops(): Promise<void> {
  console.log(`sizes: ${N_ALL} steps in section 1, ${N_LONG} in 2, ${N_WHILE} in 3 (${FULL ? "the issue's" : "BENCH_FULL=1 for the issue's 10^5, 10^6 and 10^5"})`);
  const allStep = benchAll();
  benchSnapshots(allStep);
  benchWhile(allStep);
  benchMlp();
}

if (import.meta.url === `file://${process.argv[1]}`) await benchLoops();
