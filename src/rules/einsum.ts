/**
 * `einsum`: Einstein summation over subscripts such as `'ij,jk->ik'`. It is a composition, not a
 * row: the operands are contracted left to right, each pair as one batched `matmul` after
 * `transpose`/`reshape`, indices no later operand or the output needs are summed out early, and a
 * repeated index within one operand (`'ii->i'`, a diagonal) is taken with an identity mask. Its
 * derivatives, to every order, are those of the primitives it calls.
 *
 * Supported: letters `a-zA-Z`, any number of operands, explicit (`->`) or implicit output (the
 * indices that appear once, in alphabetical order, as NumPy). Not supported: `...` (ellipsis) and
 * broadcasting of size-1 dimensions: every occurrence of a letter must have the same size.
 *
 * @since 0.1.0
 */
import { invalidArgument } from '../core/args.js';
import { asTensor, eye } from '../core/creation.js';
import { ArgumentError, formatShape, ShapeError } from '../core/errors.js';
import type { Tensor } from '../core/Tensor.js';
import { mul, type Operand } from './elementwise.js';
import { matmul } from './linalg.js';
import { sum } from './reduction.js';
import { reshape, transpose } from './structure.js';

interface Term {
  t: Tensor;
  /** One letter per axis of `t`. */
  ix: string[];
}

const LETTER = /^[a-zA-Z]$/;

function parse(op: string, subscripts: unknown, n: number): { inputs: string[][]; output: string[] } {
  if (typeof subscripts !== 'string') invalidArgument(op, 'subscripts', subscripts, "pass a string such as 'ij,jk->ik' first, then the operands");
  const spec = subscripts.replace(/\s+/g, '');
  if (spec.includes('.')) throw new ArgumentError('INVALID_ARGUMENT', op, `'${subscripts}': ellipsis (...) is not supported; name every axis with a letter`);
  const arrow = spec.split('->');
  if (arrow.length > 2) throw new ArgumentError('INVALID_ARGUMENT', op, `'${subscripts}' has more than one '->'`);
  const inputs = arrow[0]!.split(',').map((s) => [...s]);
  for (const letters of [...inputs, ...(arrow.length === 2 ? [[...arrow[1]!]] : [])]) {
    for (const c of letters) if (!LETTER.test(c)) throw new ArgumentError('INVALID_ARGUMENT', op, `'${subscripts}' contains '${c}'; subscripts are letters a-z and A-Z, operands separated by ',' and the output after '->'`);
  }
  if (inputs.length !== n) throw new ArgumentError('INVALID_ARGUMENT', op, `'${subscripts}' names ${inputs.length} operand(s) but ${n} were passed`);
  let output: string[];
  if (arrow.length === 2) {
    output = [...arrow[1]!];
    const all = new Set(inputs.flat());
    for (const c of output) if (!all.has(c)) throw new ArgumentError('INVALID_ARGUMENT', op, `output index '${c}' of '${subscripts}' appears in no operand`);
    if (new Set(output).size !== output.length) throw new ArgumentError('INVALID_ARGUMENT', op, `'${subscripts}' repeats an index in the output`);
  } else {
    const counts = new Map<string, number>();
    for (const c of inputs.flat()) counts.set(c, (counts.get(c) ?? 0) + 1);
    output = [...counts].filter(([, k]) => k === 1).map(([c]) => c).sort();
  }
  return { inputs, output };
}

/** Sums out the axes of `term` whose letter is not in `keep`. */
function sumOut(term: Term, keep: ReadonlySet<string>): Term {
  const axes = term.ix.flatMap((c, i) => (keep.has(c) ? [] : [i]));
  if (axes.length === 0) return term;
  return { t: sum(term.t, { axis: axes }), ix: term.ix.filter((c) => keep.has(c)) };
}

/** Takes the diagonal of every letter repeated within one operand (`ii` → `i`). */
function diagonals(term: Term): Term {
  let { t, ix } = term;
  for (;;) {
    const j = ix.findIndex((c, i) => ix.indexOf(c) !== i);
    if (j < 0) return { t, ix };
    const i = ix.indexOf(ix[j]!);
    const n = t.shape[i]!;
    // multiply by the identity on axes (i, j), then sum axis j away
    const maskShape = t.shape.map((_, a) => (a === i || a === j ? n : 1));
    t = sum(mul(t, reshape(eye(n, n, { dtype: t.dtype }), maskShape)), { axis: j });
    ix = ix.filter((_, a) => a !== j);
  }
}

/** Contracts two terms, keeping the letters in `keep` (needed later); one batched matmul. */
function contract(a: Term, b: Term, keep: ReadonlySet<string>): Term {
  const inA = new Set(a.ix);
  const inB = new Set(b.ix);
  const batch = a.ix.filter((c) => inB.has(c) && keep.has(c));
  const summed = a.ix.filter((c) => inB.has(c) && !keep.has(c));
  const left = a.ix.filter((c) => !inB.has(c));
  const right = b.ix.filter((c) => !inA.has(c));
  const size = (t: Term, c: string): number => t.t.shape[t.ix.indexOf(c)]!;
  const prod = (t: Term, cs: string[]): number => cs.reduce((p, c) => p * size(t, c), 1);
  const at = transpose(a.t, [...batch, ...left, ...summed].map((c) => a.ix.indexOf(c)));
  const bt = transpose(b.t, [...batch, ...summed, ...right].map((c) => b.ix.indexOf(c)));
  const m = matmul(reshape(at, [prod(a, batch), prod(a, left), prod(a, summed)]), reshape(bt, [prod(b, batch), prod(b, summed), prod(b, right)]));
  const shape = [...batch.map((c) => size(a, c)), ...left.map((c) => size(a, c)), ...right.map((c) => size(b, c))];
  return { t: reshape(m, shape), ix: [...batch, ...left, ...right] };
}

/**
 * Einstein summation (`jnp.einsum`): `einsum('ij,jk->ik', a, b)` is a matrix product,
 * `einsum('ii', a)` a trace, `einsum('bij,bjk->bik', a, b)` a batched product, `einsum('i,j->ij', u, v)`
 * an outer product. Without `->`, the output has the indices that appear exactly once, in
 * alphabetical order. Letters must name axes of equal size wherever they appear.
 *
 * Shapes: one letter per axis of each operand; the result has one axis per output letter.
 * Errors: `INVALID_ARGUMENT` for malformed subscripts or the wrong number of operands;
 * `SHAPE_MISMATCH` when an operand's rank differs from its subscript or a letter has two sizes.
 * @example
 * import { einsum, tensor, toArray } from 'adjoint'
 * const a = tensor([[1, 2], [3, 4]])
 * assert.deepEqual(toArray(einsum('ij,jk->ik', a, a)), [[7, 10], [15, 22]])
 * assert.equal(toArray(einsum('ii', a)), 5)
 * assert.deepEqual(toArray(einsum('ij->ji', a)), [[1, 3], [2, 4]])
 * @category linear algebra
 * @since 0.1.0
 */
export function einsum(subscripts: string, ...operands: ReadonlyArray<Operand>): Tensor {
  const op = 'einsum';
  if (operands.length === 0) throw new ArgumentError('INVALID_ARGUMENT', op, 'needs at least one operand after the subscripts');
  const { inputs, output } = parse(op, subscripts, operands.length);
  const sizes = new Map<string, number>();
  const terms: Term[] = operands.map((x, k) => {
    const t = asTensor(op, x);
    const ix = inputs[k]!;
    if (ix.length !== t.ndim) {
      throw new ShapeError('SHAPE_MISMATCH', op, `operand ${k} has shape ${formatShape(t.shape)} (rank ${t.ndim}) but its subscript '${ix.join('')}' names ${ix.length} axes`);
    }
    ix.forEach((c, i) => {
      const d = t.shape[i]!;
      const seen = sizes.get(c);
      if (seen !== undefined && seen !== d) throw new ShapeError('SHAPE_MISMATCH', op, `index '${c}' has size ${seen} in one place and ${d} in another (operand ${k}, shape ${formatShape(t.shape)}); every occurrence must have the same size`);
      sizes.set(c, d);
    });
    return diagonals({ t, ix: [...ix] });
  });
  const needed = (from: number): Set<string> => new Set([...output, ...terms.slice(from).flatMap((t) => t.ix)]);
  let acc = sumOut(terms[0]!, needed(1));
  for (let k = 1; k < terms.length; k++) {
    const keep = needed(k + 1);
    acc = contract(acc, sumOut(terms[k]!, new Set([...keep, ...acc.ix])), keep);
  }
  acc = sumOut(acc, new Set(output));
  return transpose(acc.t, output.map((c) => acc.ix.indexOf(c)));
}
