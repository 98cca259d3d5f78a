/**
 * Shared helpers for the benchmarks in `bench/`. A benchmark is a plain function timed many times; we
 * report the median, not the mean, because a single GC pause or JIT tier-up would otherwise dominate a
 * short measurement. Benchmarks are never part of `npm test`.
 */
import { performance } from 'node:perf_hooks';

/** How long to measure: at least `minRuns` timed rounds and at least `minTimeMs` in total (defaults 10, 200). */
export interface MeasureOptions {
  readonly minRuns?: number;
  readonly minTimeMs?: number;
  /** Untimed calls of each function first, so the JIT has optimised it (default 3, and at least 50 ms). */
  readonly warmupRuns?: number;
}

/** Median wall-clock milliseconds of one call to `fn`, after warmup. */
export function measure(fn: () => unknown, options: MeasureOptions = {}): number {
  return measureInterleaved([fn], options)[0]!;
}

/**
 * Median milliseconds of one call of each contestant, timed round-robin (one call of each per round) so a
 * slow period of the machine (a GC, another process) hits all of them alike instead of one.
 */
export function measureInterleaved(fns: ReadonlyArray<() => unknown>, options: MeasureOptions = {}): number[] {
  return measureRounds(fns, options).map(median);
}

/** The times of every timed round, per contestant (`times[i][round]`, milliseconds), after warmup. */
export function measureRounds(fns: ReadonlyArray<() => unknown>, options: MeasureOptions = {}): number[][] {
  const { minRuns = 10, minTimeMs = 200, warmupRuns = 3 } = options;
  // Warm up by count and by time: small functions need many calls before TurboFan optimises them.
  for (const fn of fns) {
    const warmStart = performance.now();
    for (let i = 0; i < warmupRuns || performance.now() - warmStart < 50; i++) fn();
  }
  const times: number[][] = fns.map(() => []);
  const start = performance.now();
  for (let run = 0; run < minRuns || performance.now() - start < minTimeMs; run++) {
    fns.forEach((fn, i) => {
      const t0 = performance.now();
      fn();
      times[i]!.push(performance.now() - t0);
    });
  }
  return times;
}

/**
 * The median over rounds of `times[i][round] / times[baseline][round]`: each ratio compares two calls
 * made back to back, so a slow period of a shared machine cancels out of it, which a ratio of two
 * medians taken over different rounds does not guarantee.
 */
export function pairedRatio(times: ReadonlyArray<ReadonlyArray<number>>, i: number, baseline: number): number {
  const base = times[baseline]!;
  return median(times[i]!.map((t, r) => t / base[r]!));
}

/** Median of a non-empty list (mean of the two middle values for an even length). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median: empty list');
  const s = [...xs].sort((x, y) => x - y);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Print an aligned plain-text table: text columns left-aligned, numeric-looking ones right-aligned. */
export function printTable(
  title: string,
  headers: readonly string[],
  rows: ReadonlyArray<readonly (string | number)[]>,
): void {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)));
  const widths = headers.map((h, j) => Math.max(h.length, ...cells.map((r) => (r[j] ?? '').length)));
  const numeric = headers.map((_, j) => cells.length > 0 && cells.every((r) => /^[-+\d.,eE x%]*$/.test(r[j] ?? '')));
  const line = (r: readonly string[]) =>
    r.map((c, j) => (numeric[j] ? c.padStart(widths[j]!) : c.padEnd(widths[j]!))).join('  ').trimEnd();
  console.log(`\n${title}`);
  console.log(line(headers));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of cells) console.log(line(r));
}

/** Three significant digits, without exponent notation for everyday magnitudes. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(3);
}
