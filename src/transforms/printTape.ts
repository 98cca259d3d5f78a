/**
 * `printTape`: the recorded program of one call, as a textbook would tabulate it. One line per SSA
 * value: its name (`w1, w2, ...`, inputs first), the equation (op and operands), shape and dtype, the
 * forward value and, for a scalar output, the adjoint the reverse pass gave it. Effect operations
 * (state versions such as `x@1`, random draws, logs) appear as `--` lines where they happened.
 *
 * @since 0.1.0
 */
import { checkArity, parseFunction } from '../core/args.js';
import { onesLike } from '../core/creation.js';
import { dataOf, isConcrete, isTensor, type Tensor } from '../core/Tensor.js';
import type { Equation } from '../core/ReverseTrace.js';
import { reverseScope, runScoped } from './scope.js';
import type { Program } from '../effects/Program.js';

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
 * a scalar, a reverse pass is run too and each value's adjoint is shown. For a function returning a
 * `Program`, the result is a `Program<string, E>`.
 *
 * @example
 * import { printTape, mul, sin, add } from 'adjoint'
 * const text = printTape((x1, x2) => add(mul(x1, x2), sin(x1)))(2, 3)
 * assert.match(text, /w3 += mul w1 w2/)
 *
 * @category transforms
 * @since 0.1.0
 */
export function printTape<A extends unknown[], E>(f: (...args: A) => Program<unknown, E>): (...args: A) => Program<string, E>;
export function printTape<A extends unknown[]>(f: (...args: A) => unknown): (...args: A) => string;
export function printTape<A extends unknown[]>(f: (...args: A) => unknown): (...args: A) => unknown {
  checkArity('printTape', arguments.length, 1, 'printTape(f)');
  const fn = parseFunction<(...a: never[]) => unknown>('printTape', 'f', f);
  return (...args: A) =>
    runScoped(
      reverseScope('printTape', fn, args, args.map((_, i) => i), true, false, (lin) => {
        const trace = lin.trace;
        const scalarOut = lin.outLeaves.length === 1 && lin.outLeaves[0]!.size === 1 && lin.outTracers[0] !== undefined;
        const adj = scalarOut ? trace.backward([[lin.outTracers[0]!, onesLike(lin.outLeaves[0]!)]], true) : undefined;
        const name = (t: unknown): string => {
          if (!isTensor(t)) return String(t);
          const own = trace.own(t);
          if (own !== undefined) return `w${own.slot + 1}`;
          return t.size === 1 && isConcrete(t) ? formatValue(t) : `const:${shortType(t)}`;
        };
        const operand = (o: Equation['operands'][number]): string => ('slot' in o ? `w${o.slot + 1}` : name(o.constant));
        const rows: string[][] = [];
        const row = (slot: number, eq: string): void => {
          const a = adj?.get(slot);
          const primal = trace.primalAt(slot);
          rows.push([`w${slot + 1}`, `= ${eq}`, shortType(primal), formatValue(primal), scalarOut ? (a === undefined ? '0' : formatValue(a)) : '']);
        };
        const notes = (at: number): void => {
          for (const n of trace.notes) if (n.at === at) rows.push([`--`, `${n.text} ${n.values.map(name).join(' ')}`.trimEnd(), '', '', '']);
        };
        trace.inputs.forEach((t, i) => row(t.slot, `input ${i}`));
        trace.equations().forEach((eq, e) => {
          notes(e);
          const describe = (eq.prim as { describeParams?: (p: unknown) => string }).describeParams;
          const text = `${eq.prim.name}${describe !== undefined ? describe(eq.params) : formatParams(eq.params)} ${eq.operands.map(operand).join(' ')}`;
          // a multiple-result equation (a loop, a checkpoint) is one line per result, the first carrying it
          if (eq.outSlots.length === 1) row(eq.slot, text);
          else eq.outSlots.forEach((s, k) => row(s, k === 0 ? `${text} (result 1 of ${eq.outSlots.length})` : `  ... (result ${k + 1} of ${eq.outSlots.length})`));
        });
        notes(trace.length);
        const header = ['value', '', 'type', 'primal', scalarOut ? 'adjoint' : ''];
        const widths = header.map((h, c) => Math.max(h.length, ...rows.filter((r) => r[0] !== '--').map((r) => r[c]!.length)));
        const line = (r: string[]): string => (r[0] === '--' ? `-- ${r[1]}` : r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd());
        const outs = lin.outLeaves.map((o, i) => (lin.outTracers[i] ? `w${lin.outTracers[i]!.slot + 1}` : formatValue(o)));
        return [line(header), ...rows.map(line), `output ${outs.join(', ')}`].join('\n');
      }),
    );
}
