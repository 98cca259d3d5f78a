/**
 * `checkpoint` (alias `remat`): trade time for memory in reverse mode. Under a reverse transform the
 * function is recorded as one equation holding only its inputs and outputs; its intermediate values
 * are recomputed when the pullback runs (Griewank & Walther, "Evaluating Derivatives", ch. 12; JAX's
 * `jax.checkpoint`). A policy may keep some results anyway (`'matmuls'`: the products, the costly
 * part of most models), and the recomputation then takes them instead of computing them again.
 *
 * @since 0.1.0
 */
import { checkArity, describeValue, invalidArgument, parseEnum, parseFunction, parseOptions } from '../core/args.js';
import { asTensor, zerosLike } from '../core/creation.js';
import { ArgumentError } from '../core/errors.js';
import { type AbstractValue, bindMulti, type EvaluateHook, popEvaluateHook, pushEvaluateHook, withEvaluateHook } from '../core/primitive.js';
import type { MultiRule } from '../core/rule.js';
import { isTensor, type Tensor } from '../core/Tensor.js';
import { tracesOpen } from '../core/Trace.js';
import { flatten, type Leaf, mapTensors, unflatten } from '../core/Tree.js';
import { isZero, type Tangent } from '../core/zero.js';
import { closureConvert, type Converted, isProbe } from './closureConvert.js';
import { makeScope, outputThroughScope, popClosureScope, pushClosureScope, withClosureScope } from '../core/closure.js';
import { stripGradient } from '../core/Trace.js';
import { flatMap, isProgram, map, of, type Program, transformNode } from '../effects/Program.js';
import { setCounted, State } from '../effects/State.js';
import { newRecord, recorder, replay } from './replay.js';
import { liftBatch } from './vmap.js';
import { linearizeFlat } from './scope.js';
import { jvpAs } from './transforms.js';

/**
 * Which results a checkpointed function keeps for its pullback instead of recomputing them:
 * `'nothing'` (the default), `'matmuls'`, or a predicate on the primitive's name (`matmul`, `exp`,
 * ...). The predicate is asked about every primitive the function applies on its first run, 0-d
 * ones included, and must answer `true` or `false`; the results it keeps are those with at least
 * one dimension (a 0-d result costs less to recompute than to keep).
 *
 * @category transforms
 * @since 0.1.0
 */
export type CheckpointPolicy = 'nothing' | 'matmuls' | ((primitive: string) => boolean);

/**
 * Options of `checkpoint`.
 *
 * @category transforms
 * @since 0.1.0
 */
export interface CheckpointOptions {
  readonly policy?: CheckpointPolicy;
}

/** The results a policy kept on the first run: by primitive and result type, in evaluation order. */
type Saved = ReadonlyMap<string, ReadonlyArray<Tensor>>;

const savedKey = (name: string, out: AbstractValue): string => `${name} ${out.dtype}[${out.shape.join(',')}]`;

/** What one checkpointed call carries in its equation. */
interface CheckpointParams {
  readonly conv: Converted;
  /** The policy's name, for printTape. */
  readonly policy: string;
  readonly keep: ((name: string) => boolean) | undefined;
  readonly saved: Saved;
  /** How many results `saved` holds. */
  readonly savedCount: number;
}

/** The first run's hook: asks the policy about every evaluation and keeps what it names. */
function recording(keep: (name: string) => boolean, saved: Map<string, Tensor[]>): EvaluateHook {
  return (prim, compute, out) => {
    const kept = keep(prim.name);
    const result = compute();
    if (kept && out.shape.length > 0) {
      const key = savedKey(prim.name, out);
      const list = saved.get(key);
      if (list === undefined) saved.set(key, [result]);
      else list.push(result);
    }
    return result;
  };
}

/**
 * Runs `body`, a recomputation on the first run's operands, handing back the `saved` results where
 * the policy kept them: the n-th evaluation of a primitive with a given result type gets the n-th
 * result of that kind (0-d evaluations, which a reverse trace may compute outside `evaluate`, are
 * not counted).
 */
function replaying<T>(keep: (name: string) => boolean, saved: Saved, body: () => T): T {
  const taken = new Map<string, number>();
  return withEvaluateHook((prim, compute, out) => {
    if (out.shape.length === 0 || !keep(prim.name)) return compute();
    const key = savedKey(prim.name, out);
    const list = saved.get(key);
    const i = taken.get(key) ?? 0;
    if (list === undefined || i >= list.length) return compute();
    taken.set(key, i + 1);
    return list[i]!;
  }, body);
}

const materialize = (t: Tangent, like: Tensor): Tensor => (isZero(t) ? zerosLike(like) : t);

/** The equation of one checkpointed call: operands are its input leaves, then what it closes over. */
export const checkpointP: MultiRule<CheckpointParams> = {
  batch: (args, dims, params, size) => liftBatch(checkpointP)(args, dims, params, size),
  name: 'checkpoint',
  multipleResults: true,
  examples: [],
  describeParams: (p) => `[policy=${p.policy} saved=${p.savedCount}]`,
  shape: (_args, p) => p.conv.outAvals,
  impl: (args, p) => (isProbe(p.conv, args) ? p.conv.probe.outputs : p.conv.call(args)),
  jvp: (primals, tangents, _ans, p) => {
    const call = (...xs: Tensor[]): Tensor[] => p.conv.call(xs);
    const [, outTangents] = jvpAs('checkpoint', call, [...primals], tangents.map((t, i) => materialize(t, primals[i]!)), undefined, true) as unknown as [Tensor[], Tensor[]];
    return outTangents;
  },
  vjp: (cts, primals, ans, p) => {
    // the forward pass is run again here: this is the recomputation the equation stands for; its
    // tape is walked once and let go as it goes (what a nested checkpoint holds is freed when done)
    const run = () => linearizeFlat('checkpoint', (xs) => p.conv.call(xs), primals, true);
    // the kept results are those of the first run: they stand in only for a recomputation on its
    // operands (not on other values, batched lanes under vmap, or traced ones at a higher order)
    const { pullback } = p.keep === undefined || p.savedCount === 0 || !isProbe(p.conv, primals) ? run() : replaying(p.keep, p.saved, run);
    return pullback(cts.map((c) => (isZero(c) ? undefined : c)));
  },
};

function policyPredicate(policy: unknown): ((name: string) => boolean) | undefined {
  if (policy === undefined || policy === 'nothing') return undefined;
  if (policy === 'matmuls') return (name) => name === 'matmul';
  if (typeof policy === 'function') {
    return (name) => {
      const answer: unknown = (policy as (n: string) => unknown)(name);
      if (typeof answer !== 'boolean') {
        invalidArgument('checkpoint', 'options.policy', policy, `it returned ${describeValue(answer)} for the primitive "${name}"; a policy returns true (keep the result) or false (recompute it)`);
      }
      return answer;
    };
  }
  // every valid name was handled above: this refuses the rest, naming the nearest policy for a misspelt one
  parseEnum('checkpoint', 'options.policy', policy, ['nothing', 'matmuls'], 'or a function (primitiveName) => boolean');
  return undefined;
}

/**
 * A function with `f`'s signature whose reverse pass stores only its inputs (and outputs) and
 * recomputes `f`'s intermediate values when the pullback runs. Derivatives are unchanged, in every
 * mode and at every order; only memory and time change. `f` takes and returns pytrees and may close
 * over traced values.
 *
 * `checkpoint : (f: (...xs) => y, { policy }) => (...xs) => y`
 *
 * `options.policy` keeps some results for the first-order reverse pass (see `CheckpointPolicy`);
 * under vmap or at higher order the recomputation is on other values and computes them.
 *
 * Errors: `INVALID_ARGUMENT` for a non-function, a bad policy or a policy predicate that answers
 * something other than a boolean, `UNKNOWN_OPTION` for an unknown option, `TREE_MISMATCH` if `f`
 * returns a different structure when recomputed.
 *
 * @example
 * import { checkpoint, grad, sin, mul, sum, tensor, toArray } from 'adjoint'
 * const layer = checkpoint((x) => sin(mul(x, 2)))
 * const g = grad((x) => sum(layer(layer(x))))(tensor([0.1, 0.2]))
 * const h = grad((x) => sum(sin(mul(sin(mul(x, 2)), 2))))(tensor([0.1, 0.2]))
 * assert.deepEqual(toArray(g), toArray(h))
 *
 * @typeParam F - the type of the function, which the result keeps
 * @category transforms
 * @since 0.1.0
 */
export function checkpoint<F extends (...args: never[]) => unknown>(f: F, options?: CheckpointOptions): F {
  checkArity('checkpoint', arguments.length, 2, 'checkpoint(f, { policy }?)');
  parseFunction('checkpoint', 'f', f);
  const o = parseOptions('checkpoint', 'options', options, ['policy']);
  const keep = policyPredicate(o.policy);
  const wrapped = (...args: unknown[]): unknown => {
    const call = f as unknown as (...a: unknown[]) => unknown;
    // with nothing traced there is nothing to record, and so nothing to recompute
    if (!tracesOpen()) return call(...args);
    const { leaves, def } = flatten('checkpoint', args);
    const inputs = leaves.map((l) => asTensor('checkpoint', l as Leaf));
    const saved = new Map<string, Tensor[]>();
    let returnedProgram = false;
    const run = (ls: ReadonlyArray<Tensor>): unknown => {
      const out = call(...(unflatten(def, ls, false) as unknown[]));
      if (isProgram(out)) {
        returnedProgram = true;
        throw PROGRAM;
      }
      return out;
    };
    const discover = (): Converted => closureConvert('checkpoint', run, inputs);
    const attempt = (): Converted | undefined => {
      try {
        return keep === undefined ? discover() : withEvaluateHook(recording(keep, saved), discover);
      } catch (e) {
        if (e === PROGRAM && returnedProgram) return undefined;
        throw e;
      }
    };
    const found = attempt();
    // a function returning a Program: its effects go to the handlers once, recorded for replay
    const policy = typeof o.policy === 'string' ? o.policy : o.policy === undefined ? 'nothing' : 'custom';
    if (found === undefined) return checkpointProgram(call, args, policy, keep);
    // the discovery run is the concrete forward pass: the policy kept its results from it
    const conv = found;
    const outs = bindMulti(checkpointP, [...inputs, ...conv.captured], { conv, policy, keep, saved, savedCount: countSaved(saved) });
    return unflatten(conv.outDef, outs);
  };
  return wrapped as unknown as F;
}

const countSaved = (saved: Saved): number => [...saved.values()].reduce((n, list) => n + list.length, 0);

/** Thrown through a discovery run when the function turns out to return a Program. */
const PROGRAM: unique symbol = Symbol('adjoint.checkpoint.program');

/**
 * `checkpoint` of a function that returns a Program: the program runs once for real on the values
 * without their derivatives (but with the lanes of any vmap outside: its effects are the real ones,
 * so a log entry or a domain check sees every lane), its effects reaching the handlers outside
 * through a recorder (replay.ts) while a closure scope finds what it closes over (a draw batched
 * by a vmap outside is such a value, an operand); then the call is recorded as one equation whose
 * recomputation replays the program from the record; then the state cells it wrote are written on
 * the handler, one write per version it made.
 */
function checkpointProgram(call: (...a: unknown[]) => unknown, args: ReadonlyArray<unknown>, policy: string, keep: ((name: string) => boolean) | undefined): Program<unknown, unknown> {
  const owner = 'checkpoint';
  const { leaves, def } = flatten(owner, args);
  const inputs = leaves.map((l) => asTensor(owner, l as Leaf));
  const record = newRecord();
  // The run is the real one, its effects the program's: its values keep the lanes of any vmap
  // outside (a log entry, a check, a draw holds every lane) and lose only the derivatives, which
  // the equation bound afterwards carries.
  const concrete = inputs.map((x) => stripGradient(x));
  const scope = makeScope('discover', owner, concrete, undefined, stripGradient);
  // a cell's stand-in is the run's own value (an operand of the equation already), not a closure
  const own = (t: Tensor): Tensor => {
    const s = stripGradient(t);
    scope.known.add(s);
    return s;
  };
  // what the run closes over or is handed (a draw batched by a vmap outside) becomes an operand
  const enter = (v: unknown): unknown => (isTensor(v) ? outputThroughScope(scope, v) : v);
  const view = { standIn: (v: unknown) => mapTensors(v, own), enter };
  // the policy keeps results of the run as of a plain function's first run (the hook is installed
  // while the program's steps run, and taken out while it waits)
  const saved = new Map<string, Tensor[]>();
  const hook = keep === undefined ? undefined : recording(keep, saved);
  const enterRun = (): void => {
    pushClosureScope(scope);
    if (hook !== undefined) pushEvaluateHook(hook);
  };
  const leaveRun = (): void => {
    popClosureScope(scope);
    if (hook !== undefined) popEvaluateHook(hook);
  };
  const first = transformNode<unknown, unknown>(() => {
    enterRun();
    let program: unknown;
    try {
      program = call(...(unflatten(def, concrete, false) as unknown[]));
    } catch (e) {
      leaveRun();
      throw e;
    }
    if (!isProgram(program)) {
      leaveRun();
      throw new ArgumentError('INVALID_ARGUMENT', owner, 'the function returned a Program once and a plain value once; it must return a Program for every input, or never');
    }
    let open = true;
    const close = (): void => {
      if (open) leaveRun();
      open = false;
    };
    // values it returns or leaves in cells may be ones it closes over (or a draw): operands too
    const through = (v: unknown): unknown => mapTensors(v, (t) => outputThroughScope(scope, t));
    const ended = map(program, (v) => {
      for (const w of record.writes.values()) w.value = through(w.value);
      return through(v);
    });
    return {
      program: ended,
      close,
      suspend: leaveRun,
      resume: enterRun,
      lower: (v) => v,
      finish: (v) => v,
      intercept: recorder(record, view),
    };
  });
  return flatMap(first, (probeResult) => {
    const captured = scope.captured.slice();
    const out = flatten(owner, probeResult);
    const written = [...record.writes.keys()];
    const inputCells = [...record.inputs.keys()];
    const inputTrees = inputCells.map((name) => flatten(owner, record.inputs.get(name)));
    const writtenTrees = written.map((name) => flatten(owner, record.writes.get(name)!.value));
    const outLeaves = [...out.leaves, ...writtenTrees.flatMap((t) => t.leaves)].map((l) => asTensor(owner, l as Leaf));
    const inputLeaves = inputTrees.flatMap((t) => t.leaves).map((l) => asTensor(owner, l as Leaf));
    const arity = inputs.length + captured.length + inputLeaves.length;
    // the recomputation: the program again, answered from the record, state from the operands
    const recompute = (ops: ReadonlyArray<Tensor>): Tensor[] => {
      const replacements = new Map<Tensor, Tensor>();
      captured.forEach((c, i) => replacements.set(c, ops[inputs.length + i]!));
      const s = makeScope('substitute', owner, ops, replacements);
      return withClosureScope(s, () => {
        let at = inputs.length + captured.length;
        const state = new Map<string, unknown>();
        inputCells.forEach((name, k) => {
          const t = inputTrees[k]!;
          state.set(name, unflatten(t.def, ops.slice(at, (at += t.leaves.length)), false));
        });
        const program = call(...(unflatten(def, ops.slice(0, inputs.length), false) as unknown[]));
        if (!isProgram(program)) throw new ArgumentError('INVALID_ARGUMENT', owner, 'the function returned a Program once and a plain value once; it must return a Program for every input, or never');
        const { value, state: final } = replay(owner, program as Program<unknown, unknown>, record, state);
        const leavesOut = flatten(owner, value).leaves.map((l) => asTensor(owner, l as Leaf));
        const cells = written.flatMap((name) => flatten(owner, final.get(name)).leaves.map((l) => asTensor(owner, l as Leaf)));
        return [...leavesOut, ...cells].map((t) => outputThroughScope(s, t));
      });
    };
    const conv: Converted = {
      owner,
      arity,
      captured: [],
      outDef: out.def,
      outAvals: outLeaves.map((t) => ({ shape: t.shape, dtype: t.dtype })),
      probe: { operands: [...concrete, ...captured.map((c) => scope.replacements.get(c)!), ...inputLeaves.map((x) => stripGradient(x))], outputs: outLeaves },
      call: recompute,
    };
    const outs = bindMulti(checkpointP, [...inputs, ...captured, ...inputLeaves], { conv, policy, keep, saved, savedCount: countSaved(saved) });
    let at = out.leaves.length;
    const writes = written.map((name, k) => {
      const t = writtenTrees[k]!;
      const value = unflatten(t.def, outs.slice(at, (at += t.leaves.length)));
      return { name, value, count: record.writes.get(name)!.count };
    });
    const result = unflatten(out.def, outs.slice(0, out.leaves.length));
      // the cells it wrote get as many versions as the first run made, the last holding the traced
    // value; the others' values were made inside and are not kept (printTape says so)
    let p: Program<unknown, unknown> = of(undefined);
    for (const w of writes) {
      for (let i = 0; i < w.count; i++) {
        const cell = State.cell(w.name);
        p = flatMap(p, () => (i < w.count - 1 ? setCounted(cell, w.value, '(made inside the checkpoint above)') : State.set(cell, w.value)));
      }
    }
    return map(p, () => result);
  });
}

/**
 * Alias of `checkpoint`: JAX's other name for it ("rematerialization").
 *
 * @example
 * import { remat, checkpoint } from 'adjoint'
 * assert.equal(remat, checkpoint)
 *
 * @category transforms
 * @since 0.1.0
 */
export const remat = checkpoint;
