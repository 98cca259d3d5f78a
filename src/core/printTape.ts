/**
 * `printTape`: the recorded program of one call, as a textbook would tabulate it. One line per SSA
 * value: its name (`w1, w2, ...`, inputs first), the equation (op and operands), shape and dtype, the
 * forward value and, for a scalar output, the adjoint the reverse pass gave it.
 *
 * @since 0.1.0
 */
import { onesLike } from './creation.js';
import { dataOf, type Tensor } from './Tensor.js';
import { Tracer } from './Trace.js';
import { internals } from './transforms.js';

const shortType = (t: Tensor): string => `${t.dtype === 'float64' ? 'f64' : 'f32'}[${t.shape.join(',')}]`;

function formatValue(t: Tensor): string {
  const d = dataOf(t);
  const fmt = (v: number): string => (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(8))));
  if (t.size === 1) return fmt(d[0]!);
  const head = Array.from(d.slice(0, 4), fmt).join(', ');
  return `[${head}${t.size > 4 ? ', …' : ''}]`;
}

function formatParams(params: unknown): string {
  if (params === undefined) return '';
  return `[${Object.entries(params as object)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(' ')}]`;
}

/**
 * Runs `f` once under reverse mode and returns its tape as text (a Wengert list). When the output is
 * a scalar, a reverse pass is run too and each value's adjoint is shown.
 *
 * @example
 * import { printTape, mul, sin, add } from 'adjoint'
 * const text = printTape((x1, x2) => add(mul(x1, x2), sin(x1)))(2, 3)
 * assert.match(text, /w3 = mul w1 w2/)
 *
 * @category transforms
 * @since 0.1.0
 */
export function printTape<A extends unknown[]>(f: (...args: A) => unknown): (...args: A) => string {
  return (...args: A) => {
    const op = 'printTape';
    const lin = internals.linearize(op, f as (...a: never[]) => unknown, args, args.map((_, i) => i), false, true);
    const trace = lin.trace;
    const scalarOut = lin.outLeaves.length === 1 && lin.outLeaves[0]!.size === 1 && lin.outTracers[0] !== undefined;
    const adj = scalarOut ? trace.backward([[lin.outTracers[0]!, onesLike(lin.outLeaves[0]!)]], true) : [];
    const name = (t: Tensor): string => (t instanceof Tracer && t.trace === trace ? `w${t.slot + 1}` : t.size === 1 ? formatValue(t) : `const:${shortType(t)}`);
    const rows: string[][] = [];
    const row = (t: Tracer, eq: string): void => {
      const a = adj[t.slot];
      rows.push([`w${t.slot + 1}`, `= ${eq}`, shortType(t), formatValue(t.primal), scalarOut ? (a === undefined ? '0' : formatValue(a)) : '']);
    };
    trace.inputs.forEach((t, i) => row(t, `input ${i}`));
    trace.outs.forEach((t, e) => row(t, `${trace.prims[e]!.name}${formatParams(trace.params[e])} ${trace.args[e]!.map(name).join(' ')}`));
    const header = ['value', '', 'type', 'primal', scalarOut ? 'adjoint' : ''];
    const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
    const line = (r: string[]): string => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd();
    const outs = lin.outLeaves.map((o, i) => (lin.outTracers[i] ? name(lin.outTracers[i]!) : formatValue(o)));
    return [line(header), ...rows.map(line), `output ${outs.join(', ')}`].join('\n');
  };
}
