/**
 * Binomial checkpointing (Griewank 1992, "Achieving logarithmic growth of temporal and spatial
 * complexity in reverse automatic differentiation"; Griewank & Walther 2000, `revolve`): the schedule
 * that reverses `n` steps of a loop keeping at most `s` intermediate carries, with the minimal number
 * of recomputed steps. With `c` carries held and `t` the smallest number of repetitions such that
 * `β(c, t) = C(c + t, c) >= n`, the range is split so that its left part (reversed again with as
 * many snapshots) has between `β(c, t - 2)` and `β(c, t - 1)` steps and its right part (reversed
 * with one fewer) at most `β(c - 1, t)`; `minimalRecomputation` checks the choice against a dynamic
 * program in the tests.
 *
 * The schedule is independent of what a step is: callers give `advance` (recompute steps) and
 * `adjoint` (the reverse of one step from its input carry).
 *
 * @since 0.1.0
 */

/** How a schedule recomputes and reverses steps of a loop whose carries are of type `C`. */
export interface ReverseOps<C> {
  /** The carry after steps `from .. to - 1`, recomputed from the carry before step `from`. */
  advance(carry: C, from: number, to: number): C;
  /** Reverses step `i`, given the carry it started from. Steps are reversed last to first. */
  adjoint(carry: C, i: number): void;
}

/** `C(s + t, s)`, capped to stay an exact integer. */
export function beta(s: number, t: number): number {
  let r = 1;
  for (let k = 1; k <= s; k++) {
    r = (r * (t + k)) / k;
    if (r > Number.MAX_SAFE_INTEGER) return Number.MAX_SAFE_INTEGER;
  }
  return Math.round(r);
}

/**
 * Where to put the next snapshot when reversing `n > 1` steps with `s > 0` free snapshots (the
 * range's first carry is held besides them, so `c = s + 1` carries in Griewank's count): the left
 * part's length.
 */
export function split(n: number, s: number): number {
  const c = s + 1;
  let t = 0;
  while (beta(c, t) < n) t++;
  // optimal left lengths are [max(β(c, t-2), n - β(c-1, t)), min(β(c, t-1), n - β(c-1, t-1))]; take the smallest
  const m = Math.max(1, t >= 2 ? beta(c, t - 2) : 0, n - beta(c - 1, t));
  return Math.min(m, n - 1);
}

/**
 * Reverses steps `0 .. n - 1` starting from `init` (the carry before step 0, kept by the caller),
 * holding at most `s` further carries at any time. Returns the number of steps recomputed.
 */
export function revolve<C>(n: number, s: number, init: C, ops: ReverseOps<C>): number {
  let recomputed = 0;
  const advance = (c: C, from: number, to: number): C => {
    recomputed += to - from;
    return ops.advance(c, from, to);
  };
  const reverse = (l: number, r: number, carry: C, free: number): void => {
    if (r - l === 0) return;
    if (r - l === 1) {
      ops.adjoint(carry, l);
      return;
    }
    if (free === 0) {
      // no snapshot left: recompute each step's carry from `l`
      for (let i = r - 1; i >= l; i--) ops.adjoint(i === l ? carry : advance(carry, l, i), i);
      return;
    }
    const m = l + split(r - l, free);
    const snapshot = advance(carry, l, m);
    reverse(m, r, snapshot, free - 1);
    reverse(l, m, carry, free);
  };
  reverse(0, n, init, s);
  return recomputed;
}

/** The fewest steps any schedule with `s` snapshots must recompute to reverse `n` steps (dynamic programming; for tests). */
export function minimalRecomputation(n: number, s: number): number {
  // cost[k][j]: steps recomputed reversing k steps with j snapshots, the first carry given
  const cost: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(s + 1).fill(0));
  for (let k = 2; k <= n; k++) {
    cost[k]![0] = (k * (k - 1)) / 2;
    for (let j = 1; j <= s; j++) {
      let best = Infinity;
      for (let m = 1; m < k; m++) best = Math.min(best, m + cost[k - m]![j - 1]! + cost[m]![j]!);
      cost[k]![j] = best;
    }
  }
  return cost[n]![s]!;
}
