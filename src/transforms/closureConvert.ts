/**
 * Closure conversion for the higher-order primitives (loops, `checkpoint`, custom rules): turns a
 * user function of pytrees, which may close over traced values, into a function of flat tensor
 * operands (its own inputs, then the traced values it closes over) that the primitive's rules can
 * call again on other values. See core/closure.ts for how the closed-over values are found.
 *
 * @since 0.1.0
 */
import type { AbstractValue } from '../core/primitive.js';
import { asTensor } from '../core/creation.js';
import { AdjointError, formatShape, ShapeError } from '../core/errors.js';
import { enteringValue, makeScope, outputThroughScope, withClosureScope } from '../core/closure.js';
import { describeDef, flatten, sameDef, type TreeDef } from '../core/Tree.js';
import type { Tensor } from '../core/Tensor.js';
import { probeValue } from '../core/Trace.js';

/** A function of flat leaves, closure-converted. */
export interface Converted {
  /** Who runs it, for messages. */
  readonly owner: string;
  /** Number of explicit input leaves (the captured values follow them as operands). */
  readonly arity: number;
  /** The traced values the function closes over, in order of first use. */
  readonly captured: ReadonlyArray<Tensor>;
  /** The structure and abstract values of the output. */
  readonly outDef: TreeDef;
  readonly outAvals: ReadonlyArray<AbstractValue>;
  /** The discovery run: its concrete operands and outputs (a first-order evaluation can reuse them). */
  readonly probe: { readonly operands: ReadonlyArray<Tensor>; readonly outputs: ReadonlyArray<Tensor> };
  /** Runs the function on `operands` (explicit leaves, then one value per captured one). */
  call(operands: ReadonlyArray<Tensor>): Tensor[];
}

const avalOf = (t: Tensor): AbstractValue => ({ shape: t.shape, dtype: t.dtype });

/** The leaves of a function's result, as tensors. */
function outputLeaves(owner: string, out: unknown): { leaves: Tensor[]; def: TreeDef } {
  const { leaves, def } = flatten(owner, out);
  return { leaves: leaves.map((l) => asTensor(owner, l)), def };
}

/**
 * Runs `f` once on the concrete values of `inputs`, finding what it closes over, and returns the
 * converted function. `f` takes the explicit leaves and returns a pytree.
 */
export function closureConvert(owner: string, f: (leaves: ReadonlyArray<Tensor>) => unknown, inputs: ReadonlyArray<Tensor>): Converted {
  const concrete = inputs.map((x) => probeValue(x));
  const discover = makeScope('discover', owner, concrete);
  const { leaves: probeOut, def: outDef } = withClosureScope(discover, () => {
    const r = outputLeaves(owner, f(concrete));
    return { leaves: r.leaves.map((t) => outputThroughScope(discover, t)), def: r.def };
  });
  const captured = discover.captured.slice();
  const outAvals = probeOut.map(avalOf);
  const arity = inputs.length;
  return {
    owner,
    arity,
    captured,
    outDef,
    outAvals,
    probe: { operands: [...concrete, ...captured.map((c) => discover.replacements.get(c)!)], outputs: probeOut },
    call(given) {
      // the operands come from the caller's code: an enclosing scope sees them like an op's arguments
      const operands = given.map(enteringValue);
      const replacements = new Map<Tensor, Tensor>();
      captured.forEach((c, i) => replacements.set(c, operands[arity + i]!));
      const scope = makeScope('substitute', owner, operands, replacements);
      return withClosureScope(scope, () => {
        const { leaves, def } = outputLeaves(owner, f(operands.slice(0, arity)));
        if (!sameDef(def, outDef)) {
          throw new ShapeError('TREE_MISMATCH', owner, `the function returned ${describeDef(def)} this time and ${describeDef(outDef)} the first time; it must return the same structure for any input`);
        }
        return leaves.map((t, i) => {
          const want = outAvals[i]!;
          if (t.dtype !== want.dtype || t.shape.length !== want.shape.length || t.shape.some((d, j) => d !== want.shape[j])) {
            throw new ShapeError('TREE_MISMATCH', owner, `output leaf ${i} is ${formatShape(t.shape)} ${t.dtype} this time and ${formatShape(want.shape)} ${want.dtype} the first time`);
          }
          return outputThroughScope(scope, t);
        });
      });
    },
  };
}

/** True when `operands` are exactly the probe's (the discovery run's outputs can be reused). */
export function isProbe(conv: Converted, operands: ReadonlyArray<Tensor>): boolean {
  const p = conv.probe.operands;
  return operands.length === p.length && operands.every((x, i) => x === p[i]);
}

/** An internal inconsistency in a higher-order rule (never expected). */
export function internal(owner: string, what: string): AdjointError {
  return new AdjointError('MISSING_RULE', owner, `internal: ${what}`);
}
