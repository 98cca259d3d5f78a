/**
 * Loops and branches (issue 9): known values, agreement with the unrolled loop, every mode and
 * order, checkpoint schedules (binomial checkpointing against its optimum), closures, bad input.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  abs,
  AdjointError,
  add,
  checkGrads,
  checkpoint,
  cond,
  customVjp,
  cos,
  div,
  foriLoop,
  grad,
  greater,
  hessian,
  item,
  jacfwd,
  jacrev,
  jvp,
  mul,
  printTape,
  Program,
  run,
  scan,
  sin,
  sqrt,
  stack,
  sub,
  sum,
  switchCase,
  tanh,
  type Tensor,
  tensor,
  toArray,
  vjp,
  vmap,
  whileLoop,
  zeros,
} from '../../src/index.js';
import { withEvaluateHook } from '../../src/core/primitive.js';
import { isConcrete } from '../../src/core/Tensor.js';
import { minimalRecomputation, revolve } from '../../src/transforms/revolve.js';
import { thrown } from '../reference.js';

const code = (f: () => unknown): string | undefined => (thrown(f) as AdjointError | undefined)?.code;
const flat = (t: Tensor): number[] => [toArray(t)].flat(4) as number[];
const close = (a: Tensor, b: Tensor, digits = 12): void => {
  const [x, y] = [flat(a), flat(b)];
  expect(x.length).toBe(y.length);
  x.forEach((v, i) => expect(v).toBeCloseTo(y[i]!, digits));
};

// a recurrence with a closure, a carry pytree and stacked outputs
const W = tensor([0.9, -0.4]);
const stepFn = (w: Tensor) => (c: { readonly h: Tensor; readonly s: Tensor }, x: Tensor) => {
  const h = tanh(add(mul(c.h, w), x));
  return [{ h, s: add(c.s, sum(h)) }, mul(h, c.s)] as const;
};
const init = { h: tensor([0.1, 0.2]), s: tensor(0) };
const xs0 = tensor([
  [0.5, -0.3],
  [0.1, 0.7],
  [-0.6, 0.2],
  [0.3, 0.3],
  [0.9, -0.8],
]);
const unrolled = (w: Tensor, xs: Tensor) => {
  let c: { readonly h: Tensor; readonly s: Tensor } = init;
  const ys: Tensor[] = [];
  for (let i = 0; i < 5; i++) {
    const [next, y] = stepFn(w)(c, rowOf(xs, i));
    c = next;
    ys.push(y);
  }
  return add(sum(c.h), add(c.s, sum(mul(ys[4]!, ys[2]!))));
};
function rowOf(xs: Tensor, i: number): Tensor {
  return sum(mul(xs, tensor(Array.from({ length: 5 }, (_, j) => (j === i ? [1] : [0])))), { axis: 0 });
}
const viaScan = (checkpointing: 'all' | { snapshots: number } = 'all') => (w: Tensor, xs: Tensor) => {
  const [c, ys] = scan(stepFn(w), init, xs, { checkpoint: checkpointing });
  const y = ys as Tensor;
  return add(sum(c.h), add(c.s, sum(mul(rowOf(y, 4), rowOf(y, 2)))));
};

describe('scan', () => {
  it('a cumulative product and its gradient in closed form', () => {
    const cumprod = (xs: Tensor) => scan((c: Tensor, x: Tensor) => [mul(c, x), mul(c, x)] as const, 1 as unknown as Tensor, xs);
    const xs = tensor([1.5, 2, -3, 0.5]);
    const [last, all] = cumprod(xs);
    expect(toArray(all)).toEqual([1.5, 3, -9, -4.5]);
    // d(Π x)/dx_i = Π x / x_i
    expect(toArray(grad((v: Tensor) => cumprod(v)[0])(xs))).toEqual([-4.5 / 1.5, -4.5 / 2, -4.5 / -3, -4.5 / 0.5]);
    expect(item(last)).toBe(-4.5);
  });

  it('equals the unrolled loop to 1e-12: value, gradients, jvp, Jacobians, Hessian', () => {
    const f = viaScan();
    close(f(W, xs0), unrolled(W, xs0), 14);
    const [gw, gx] = grad(f, { argnums: [0, 1] })(W, xs0);
    const [uw, ux] = grad(unrolled, { argnums: [0, 1] })(W, xs0);
    close(gw, uw);
    close(gx, ux);
    close(jvp(f, [W, xs0], [tensor([1, -1]), xs0])[1], jvp(unrolled, [W, xs0], [tensor([1, -1]), xs0])[1]);
    close(jacfwd(f)(W, xs0), jacrev(unrolled)(W, xs0));
    close(hessian(f)(W, xs0), hessian(unrolled)(W, xs0), 11);
  });

  it("'all' keeps one tape for every step: its pullback may run many times (jacrev, a vjp pulled back twice)", () => {
    const f = (w: Tensor, xs: Tensor) => {
      const [c, ys] = scan(stepFn(w), init, xs);
      return add(c.h, sum(ys as Tensor, { axis: 0 }));
    };
    const g = (w: Tensor, xs: Tensor) => {
      let c: { readonly h: Tensor; readonly s: Tensor } = init;
      let total: Tensor = tensor([0, 0]);
      for (let i = 0; i < 5; i++) {
        const [next, y] = stepFn(w)(c, rowOf(xs, i));
        c = next;
        total = add(total, y);
      }
      return add(c.h, total);
    };
    close(jacrev(f, { argnums: [0, 1] })(W, xs0)[0], jacrev(g, { argnums: [0, 1] })(W, xs0)[0]);
    close(jacrev(f, { argnums: [0, 1] })(W, xs0)[1], jacrev(g, { argnums: [0, 1] })(W, xs0)[1]);
    const [, pullback] = vjp(f, W, xs0);
    const first = pullback(tensor([1, -2]));
    const second = pullback(tensor([1, -2]));
    close(first[0], second[0], 15);
    close(first[1], second[1], 15);
  });

  it("the reverse pass of 'all' over xs does work linear in the trip count (each step's x is not scattered into a zero xs)", () => {
    // elements computed by every concrete evaluation during grad, at n and 2n steps: linear work
    // doubles; a step whose pullback scatters into the whole xs makes it grow as n²
    const work = (n: number): number => {
      const xs = tensor(Array.from({ length: n }, (_, i) => Math.sin(i)));
      let elements = 0;
      withEvaluateHook(
        (_prim, compute) => {
          const out = compute();
          elements += out.size;
          return out;
        },
        () => grad((w: Tensor) => sum(scan((c: Tensor, x: Tensor) => [add(mul(sin(c), w), x), c] as const, tensor(0.1), xs)[1] as Tensor))(0.5),
      );
      return elements;
    };
    expect(work(400) / work(200)).toBeLessThan(2.2);
  });

  it('checkGrads at order 2 in both modes, for every schedule', () => {
    for (const s of ['all', { snapshots: 1 }, { snapshots: 3 }] as const) {
      expect(checkGrads(viaScan(s), [W, xs0], { order: 2 }).checks).toBeGreaterThan(0);
    }
  });

  test.prop([fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.double({ min: -1, max: 1, noNaN: true })], { seed: 9, numRuns: 25 })(
    '{ snapshots: s } gives the gradient of "all" for every s from 1 to the trip count',
    (n, sRaw, a) => {
      const s = Math.min(sRaw, n);
      const xs = tensor(Array.from({ length: n }, (_, i) => Math.sin(i + a)));
      const f = (chk: 'all' | { snapshots: number }) => (p: Tensor) =>
        sum(scan((c: Tensor, x: Tensor) => [add(mul(sin(c), p), x), mul(c, x)] as const, tensor(a), xs, { checkpoint: chk })[1] as Tensor);
      expect(toArray(grad(f({ snapshots: s }))(0.8))).toEqual(toArray(grad(f('all'))(0.8)));
    },
  );

  it('reverse iterates from the end and keeps ys in the order of xs', () => {
    const [c, ys] = scan((c: Tensor, x: Tensor) => [add(mul(c, 10), x), c] as const, tensor(0), tensor([1, 2, 3]), { reverse: true });
    expect(item(c)).toBe(321);
    expect(toArray(ys as Tensor)).toEqual([32, 3, 0]);
    expect(toArray(grad((x: Tensor) => scan((c: Tensor, v: Tensor) => [add(mul(c, 10), v), c] as const, tensor(0), x, { reverse: true })[0])(tensor([1, 2, 3])))).toEqual([1, 10, 100]);
  });

  it('xs may be undefined with options.length; a loop of length 0 returns its carry and empty stacks', () => {
    const [c, ys] = scan((c: Tensor) => [mul(c, 2), c] as const, tensor(1), undefined, { length: 5 });
    expect(item(c)).toBe(32);
    expect(toArray(ys as Tensor)).toEqual([1, 2, 4, 8, 16]);
    const [c0, ys0] = scan((c: Tensor, x: Tensor) => [add(c, x), mul(x, 2)] as const, tensor(1), zeros([0, 3]));
    expect(item(sum(c0))).toBe(1);
    expect((ys0 as Tensor).shape).toEqual([0, 3]);
  });

  it('a closed-over traced value gets its gradient, at first and second order', () => {
    const f = (p: Tensor) => scan((c: Tensor, x: Tensor) => [add(mul(sin(c), p), x), c] as const, tensor(0.3), tensor([1, 2, 3]))[0];
    const g = (p: Tensor) => {
      let c: Tensor = tensor(0.3);
      for (const x of [1, 2, 3]) c = add(mul(sin(c), p), x);
      return c;
    };
    expect(item(grad(f)(0.7))).toBeCloseTo(item(grad(g)(0.7)), 13);
    expect(item(grad(grad(f))(0.7))).toBeCloseTo(item(grad(grad(g))(0.7)), 12);
    expect(item(grad(grad(grad(f)))(0.7))).toBeCloseTo(item(grad(grad(grad(g)))(0.7)), 10);
  });

  it('grad of grad through a checkpointed scan, and a checkpoint inside a scan body', () => {
    const f = (p: Tensor) =>
      scan((c: Tensor, x: Tensor) => [checkpoint((cc: Tensor) => add(mul(sin(cc), p), x))(c), c] as const, tensor(0.3), tensor([1, 2, 3, 4]), { checkpoint: { snapshots: 2 } })[0];
    const g = (p: Tensor) => {
      let c: Tensor = tensor(0.3);
      for (const x of [1, 2, 3, 4]) c = add(mul(sin(c), p), x);
      return c;
    };
    expect(item(grad(grad(f))(0.7))).toBeCloseTo(item(grad(grad(g))(0.7)), 12);
  });

  it('printTape shows a loop as one equation with its trip count and schedule', () => {
    const text = printTape((xs: Tensor) => scan((c: Tensor, x: Tensor) => [mul(c, x), c] as const, tensor(1), xs, { checkpoint: { snapshots: 3 } })[0])(tensor(Array.from({ length: 1000 }, () => 1)));
    expect(text).toMatch(/loop\[scan length=1000 checkpoint=revolve\(snapshots=3\)\]/);
    expect(text.split('\n').length).toBeLessThan(10);
  });
});

describe('binomial checkpointing', () => {
  it('reverses every step once, last to first, and recomputes the minimal number of steps (against a dynamic program)', () => {
    for (let n = 1; n <= 40; n++) {
      for (let s = 0; s <= 6; s++) {
        const order: number[] = [];
        let live = 0;
        let maxLive = 0;
        const recomputed = revolve(n, s, 0, {
          advance: (c, from, to) => {
            expect(c).toBe(from);
            live++;
            maxLive = Math.max(maxLive, live);
            return to;
          },
          adjoint: (c, i) => {
            expect(c).toBe(i);
            order.push(i);
          },
        });
        expect(order).toEqual(Array.from({ length: n }, (_, i) => n - 1 - i));
        expect(recomputed, `n=${n} s=${s}`).toBe(minimalRecomputation(n, s));
      }
    }
  });

  it('keeps at most s carries alive', () => {
    for (const [n, s] of [[100, 3], [1000, 5], [37, 1]] as const) {
      const alive = new Set<number>();
      let most = 0;
      const snapshots = new Map<number, number>();
      revolve(n, s, -1, {
        advance: (_c, _from, to) => {
          alive.add(to);
          snapshots.set(to, (snapshots.get(to) ?? 0) + 1);
          most = Math.max(most, alive.size);
          return to;
        },
        adjoint: (_c, i) => {
          alive.delete(i);
          for (const k of [...alive]) if (k > i) alive.delete(k);
        },
      });
      expect(most).toBeLessThanOrEqual(s + 1);
    }
  });
});

describe('foriLoop and whileLoop', () => {
  it('foriLoop passes plain integers and differentiates the carry', () => {
    const f = (x: Tensor) => foriLoop(1, 4, (i, c: Tensor) => add(mul(c, i), i - 1), x);
    expect(item(f(tensor(2)))).toBe(2 * 6 + 5);
    expect(item(grad(f)(2))).toBe(6);
    expect(checkGrads((x: Tensor) => foriLoop(0, 5, (i, c: Tensor) => sin(add(c, i)), x, { checkpoint: { snapshots: 2 } }), [tensor(0.4)], { order: 2 }).checks).toBeGreaterThan(0);
  });

  const newtonSqrt = (a: Tensor, options?: { checkpoint: { snapshots: number } }) =>
    whileLoop((x: Tensor) => greater(abs(sub(mul(x, x), a)), 1e-13), (x: Tensor) => sub(x, div(sub(mul(x, x), a), mul(2, x))), a, options);

  it('Newton for √a with an unknown trip count: d/da = 1 / (2√a) to 1e-10 in grad, jvp and hessian', () => {
    for (const a of [2, 4, 9.5]) {
      expect(item(newtonSqrt(tensor(a)))).toBeCloseTo(Math.sqrt(a), 14);
      expect(Math.abs(item(grad((t: Tensor) => newtonSqrt(t))(a)) - 1 / (2 * Math.sqrt(a)))).toBeLessThan(1e-10);
      expect(Math.abs(item(jvp((t: Tensor) => newtonSqrt(t), [tensor(a)], [tensor(1)])[1]) - 1 / (2 * Math.sqrt(a)))).toBeLessThan(1e-10);
      expect(Math.abs(item(hessian((t: Tensor) => newtonSqrt(t))(tensor(a))) + 1 / (4 * a ** 1.5))).toBeLessThan(1e-8);
      expect(Math.abs(item(grad((t: Tensor) => newtonSqrt(t, { checkpoint: { snapshots: 2 } }))(a)) - 1 / (2 * Math.sqrt(a)))).toBeLessThan(1e-10);
    }
  });

  it('a damped oscillator integrated for 1,000 steps: the gradient with respect to the damping matches central finite differences', () => {
    const simulate = (damping: Tensor, snapshots?: number) => {
      const dt = 0.01;
      const [state] = scan(
        (s: { readonly x: Tensor; readonly v: Tensor }) => {
          const a = sub(mul(-4, s.x), mul(damping, s.v));
          return [{ x: add(s.x, mul(dt, s.v)), v: add(s.v, mul(dt, a)) }, 0] as const;
        },
        { x: tensor(1), v: tensor(0) },
        undefined,
        { length: 1000, ...(snapshots === undefined ? {} : { checkpoint: { snapshots } }) },
      );
      return add(mul(state.x, state.x), mul(state.v, state.v));
    };
    const d = 0.3;
    const eps = 1e-6;
    const fd = (item(simulate(tensor(d + eps))) - item(simulate(tensor(d - eps)))) / (2 * eps);
    const g = item(grad((t: Tensor) => simulate(t))(d));
    expect(Math.abs(g - fd) / Math.abs(fd)).toBeLessThan(1e-6);
    expect(item(grad((t: Tensor) => simulate(t, 10))(d))).toBeCloseTo(g, 12);
  });
});

describe('cond and switchCase', () => {
  it('only the chosen branch runs and is differentiated, operands by argument or by closure', () => {
    const ran: string[] = [];
    const f = (x: Tensor) =>
      cond(
        greater(x, 0),
        (y: Tensor) => {
          ran.push('true');
          return mul(y, y);
        },
        (y: Tensor) => {
          ran.push('false');
          return sin(y);
        },
        x,
      );
    expect(item(grad(f)(3))).toBe(6);
    expect(item(grad(f)(-0.5))).toBeCloseTo(Math.cos(-0.5), 15);
    const g = (x: Tensor) => cond(true, () => mul(x, 3), () => x);
    expect(item(grad(g)(2))).toBe(3);
    expect(checkGrads(f, [tensor(1.5)], { order: 2 }).checks).toBeGreaterThan(0);
    // the first call also probes the other branch once; later calls run only the chosen one
    ran.length = 0;
    f(tensor(2));
    expect(ran).toEqual(['true']);
  });

  it('switchCase selects by an integer index or a 0-d tensor', () => {
    const f = (i: number | Tensor) => (x: Tensor) => switchCase(i, [sin, cos, (y: Tensor) => mul(y, y)], x);
    expect(item(grad(f(2))(3))).toBe(6);
    expect(item(grad(f(tensor(1)))(0.5))).toBe(-Math.sin(0.5));
    expect(item(jvp(f(0), [tensor(0)], [tensor(2)])[1])).toBe(2);
  });
});

describe('loops whose bodies return Programs: the binomial schedule as nested checkpoints', () => {
  // stepFn's recurrence as a Program body; `run` inside the differentiated function (no effects left)
  const programScan = (checkpointing: 'all' | { snapshots: number }, reverse = false) => (w: Tensor, xs: Tensor) => {
    const [c, ys] = run(scan((cc: { readonly h: Tensor; readonly s: Tensor }, x: Tensor) => Program.of(stepFn(w)(cc, x)), init, xs, { checkpoint: checkpointing, reverse }));
    const y = ys as Tensor;
    return add(sum(c.h), add(c.s, sum(mul(rowOf(y, 4), rowOf(y, 2)))));
  };
  const plainScan = (checkpointing: 'all' | { snapshots: number }, reverse = false) => (w: Tensor, xs: Tensor) => {
    const [c, ys] = scan(stepFn(w), init, xs, { checkpoint: checkpointing, reverse });
    const y = ys as Tensor;
    return add(sum(c.h), add(c.s, sum(mul(rowOf(y, 4), rowOf(y, 2)))));
  };
  const schedules = ['all', { snapshots: 1 }, { snapshots: 2 }, { snapshots: 3 }, { snapshots: 7 }] as const;

  it('gradients equal the plain-body loop and the unrolled loop, forward and reverse, for every schedule', () => {
    const [uw, ux] = grad(unrolled, { argnums: [0, 1] })(W, xs0);
    for (const s of schedules) {
      for (const reverse of [false, true]) {
        const [pw, px] = grad(programScan(s, reverse), { argnums: [0, 1] })(W, xs0);
        const [qw, qx] = grad(plainScan(s, reverse), { argnums: [0, 1] })(W, xs0);
        close(programScan(s, reverse)(W, xs0), plainScan(s, reverse)(W, xs0), 14);
        close(pw, qw);
        close(px, qx);
        if (!reverse) {
          close(pw, uw);
          close(px, ux);
        }
      }
    }
  });

  it('checkGrads at order 2 in both modes, and grad of grad against the plain-body loop', () => {
    for (const s of schedules) {
      expect(checkGrads(programScan(s), [W, xs0], { order: 2 }).checks).toBeGreaterThan(0);
      close(hessian(programScan(s))(W, xs0), hessian(plainScan(s))(W, xs0), 11);
    }
  });

  /** Body evaluations (runs of the body's program) under grad, and under grad of the plain body. */
  const evaluations = (n: number, s: number): { program: number; plain: number } => {
    let program = 0;
    let plain = 0;
    const xs = tensor(Array.from({ length: n }, (_, i) => Math.sin(i)));
    const stepOf = (p: Tensor) => (c: Tensor, x: Tensor) => [add(mul(sin(c), p), x), mul(c, x)] as const;
    const loss = (ys: unknown) => sum(ys as Tensor);
    const g1 = grad((p: Tensor) => loss(run(scan((c: Tensor, x: Tensor) => Program.sync(() => (program++, stepOf(p)(c, x))), tensor(0.2), xs, { checkpoint: { snapshots: s } }))[1]))(0.7);
    const g2 = grad((p: Tensor) => loss(scan((c: Tensor, x: Tensor) => (plain++, stepOf(p)(c, x)), tensor(0.2), xs, { checkpoint: { snapshots: s } })[1]))(0.7);
    close(g1, g2, 13);
    return { program, plain };
  };

  it("runs the body n times plus revolve's minimal recomputation for (n, s): the recorded steps give the vjps the plain-body loop re-runs a step for", () => {
    for (const n of [1, 2, 3, 5, 8, 13, 30, 100]) {
      for (const s of [1, 2, 3, 7]) {
        const { program, plain } = evaluations(n, s);
        expect(program, `n=${n} s=${s}`).toBe(n + minimalRecomputation(n, s));
        // the plain body: the forward pass, the recomputed steps, one re-run per step for its vjp (and one to discover it)
        expect(plain, `n=${n} s=${s}`).toBe(2 * n + minimalRecomputation(n, s) + 1);
      }
    }
  });

  /**
   * The most steps recorded and not yet reversed at once: a step is recorded when the body runs on
   * a traced carry (not on the concrete values of a checkpoint's first run), and reversed when the
   * pullback of its tap runs.
   */
  const liveSteps = () => {
    let live = 0;
    let most = 0;
    const tap = customVjp(
      (x: Tensor) => x,
      (x: Tensor) => [x, []] as const,
      (_r: readonly [], ct: Tensor) => {
        live--;
        return [ct] as [Tensor];
      },
    );
    const step = (carry: Tensor, next: Tensor): Tensor => {
      if (!isConcrete(carry)) most = Math.max(most, ++live);
      return tap(next);
    };
    return { step, most: () => most };
  };

  it('holds one recorded step at a time, whatever the trip count (n = 100 and 1000)', () => {
    for (const n of [100, 1000]) {
      const { step, most } = liveSteps();
      grad((p: Tensor) => sum(run(scan((c: Tensor) => Program.sync(() => [step(c, add(mul(sin(c), p), 0.1)), []] as const), tensor([0.2, 0.3]), undefined, { length: n, checkpoint: { snapshots: 3 } }))[0]))(0.7);
      // s segments of n / s steps, each recorded whole when the reverse pass reached it, held 34 and 334
      expect(most(), `n=${n}`).toBe(1);
    }
  });

  it('whileLoop: gradients equal the plain body; the body runs 2n times plus the minimal recomputation; one recorded step at a time', () => {
    for (const n of [1, 7, 40, 200]) {
      for (const s of [1, 2, 3, 7]) {
        let evals = 0;
        const live = liveSteps();
        type C = { readonly i: Tensor; readonly h: Tensor };
        const step = (p: Tensor) => (c: C): C => ({ i: add(c.i, 1), h: live.step(c.h, add(mul(sin(c.h), p), 0.1)) });
        const cond = (c: C) => greater(n, c.i);
        const start = { i: tensor(0), h: tensor([0.2, -0.4]) };
        const viaProgram = (chk: 'all' | { snapshots: number }) => (p: Tensor) => sum(run(whileLoop(cond, (c: C) => Program.sync(() => (evals++, step(p)(c))), start, { checkpoint: chk })).h);
        const g = grad(viaProgram({ snapshots: s }))(0.7);
        expect(evals, `n=${n} s=${s}`).toBe(2 * n + minimalRecomputation(n, s));
        expect(live.most()).toBeLessThanOrEqual(1);
        close(g, grad((p: Tensor) => sum(whileLoop(cond, step(p), start, { checkpoint: { snapshots: s } }).h))(0.7), 13);
        close(g, grad(viaProgram('all'))(0.7), 13);
      }
    }
  });
});

describe('checkGrads at order 2 through every combinator', () => {
  it('whileLoop, switchCase, cond, checkpoint and a custom rule inside a scan', () => {
    const newton = (a: Tensor) => whileLoop((x: Tensor) => greater(abs(sub(mul(x, x), a)), 1e-13), (x: Tensor) => sub(x, div(sub(mul(x, x), a), mul(2, x))), a);
    expect(checkGrads(newton, [tensor(3)], { order: 2 }).checks).toBeGreaterThan(0);
    expect(checkGrads((x: Tensor) => switchCase(1, [sin, (y: Tensor) => mul(cos(y), y)], x), [tensor([0.3, 1.2])], { order: 2 }).checks).toBeGreaterThan(0);
    expect(checkGrads(checkpoint((x: Tensor) => tanh(mul(sin(x), x))), [tensor([0.3, -0.8])], { order: 2 }).checks).toBeGreaterThan(0);
    const mySin = customVjp((x: Tensor) => sin(x), (x: Tensor) => [sin(x), x] as const, (x: Tensor, ct: Tensor) => [mul(ct, cos(x))] as [Tensor]);
    const f = (p: Tensor) => scan((c: Tensor, x: Tensor) => [add(mySin(mul(c, p)), x), c] as const, tensor(0.2), tensor([0.1, 0.4, -0.3]))[0];
    expect(checkGrads(f, [tensor(0.9)], { order: 2 }).checks).toBeGreaterThan(0);
  });
});

describe('bad input', () => {
  it('a body whose carry changes structure, shape or dtype', () => {
    expect(code(() => scan((c: Tensor) => [[c, c] as never, 0] as const, tensor(1), undefined, { length: 2 }))).toBe('TREE_MISMATCH');
    expect(code(() => scan((c: Tensor) => [zeros([2]) as Tensor, 0] as const, tensor(1), undefined, { length: 2 }))).toBe('TREE_MISMATCH');
    expect(code(() => grad((x: Tensor) => foriLoop(0, 3, (_i, c: Tensor) => tensor([1], { dtype: 'float32' }) as Tensor, x))(tensor([1])))).toBe('TREE_MISMATCH');
    expect(code(() => whileLoop(() => true, (c: Tensor) => zeros([3]), tensor(1)))).toBe('TREE_MISMATCH');
  });

  it('xs leaves with different leading lengths, or a length that disagrees', () => {
    expect(code(() => scan((c: Tensor, x: readonly Tensor[]) => [c, x] as const, tensor(0), [zeros([3]), zeros([4])]))).toBe('SHAPE_MISMATCH');
    expect(code(() => scan((c: Tensor, x: Tensor) => [c, x] as const, tensor(0), zeros([3]), { length: 4 }))).toBe('SHAPE_MISMATCH');
    expect(code(() => scan((c: Tensor) => [c, c] as const, tensor(0), undefined))).toBe('INVALID_ARGUMENT');
  });

  it('a bad checkpoint option names both forms it accepts', () => {
    const withCheckpoint = (checkpoint: unknown) => () => scan((c: Tensor) => [c, []] as const, tensor(0), tensor([1, 2]), { checkpoint } as never);
    for (const bad of ['none', 3, {}, null, ['all']]) {
      const e = thrown(withCheckpoint(bad)) as AdjointError;
      expect(e.code).toBe('INVALID_ARGUMENT');
      expect(e.message).toMatch(/^scan: options\.checkpoint is .*; pass 'all' \(the default: keep every step\) or \{ snapshots: s \} with an integer s >= 1$/);
    }
    expect(code(() => foriLoop(0, 2, (_i, c: Tensor) => c, tensor(0), { checkpoint: 'none' } as never))).toBe('INVALID_ARGUMENT');
    expect((thrown(() => whileLoop(() => false, (c: Tensor) => c, tensor(0), { checkpoint: 'none' } as never)) as AdjointError).message).toMatch(/pass 'all'.* or \{ snapshots: s \}/);
    expect(code(withCheckpoint({ snapshot: 2 }))).toBe('UNKNOWN_OPTION');
  });

  it('snapshots < 1, unknown options, non-functions', () => {
    expect(code(() => scan((c: Tensor) => [c, c] as const, tensor(0), undefined, { length: 2, checkpoint: { snapshots: 0 } }))).toBe('INVALID_ARGUMENT');
    expect(code(() => scan((c: Tensor) => [c, c] as const, tensor(0), undefined, { length: 2, checkpiont: 'all' } as never))).toBe('UNKNOWN_OPTION');
    expect(code(() => foriLoop(0, 2.5, (_i, c: Tensor) => c, tensor(0)))).toBe('INVALID_ARGUMENT');
    expect(code(() => whileLoop(5 as never, (c: Tensor) => c, tensor(0)))).toBe('INVALID_ARGUMENT');
    expect(code(() => whileLoop((c: Tensor) => tensor([1, 1]), (c: Tensor) => c, tensor(0)))).toBe('SHAPE_MISMATCH');
  });

  it('a predicate or index tensor must be 0-d (shape [1] too is refused, as JAX refuses it), in cond, switchCase and whileLoop', () => {
    const cases: Array<[string, () => unknown]> = [
      ['cond', () => cond(tensor([0]), sin, cos, tensor(1))],
      ['cond', () => cond(tensor([[1]]), sin, cos, tensor(1))],
      ['switchCase', () => switchCase(tensor([1]), [sin, cos], tensor(1))],
      ['whileLoop', () => whileLoop(() => tensor([0]), (c: Tensor) => c, tensor(0))],
      // under a transform too
      ['cond', () => grad((x: Tensor) => cond(greater(x, tensor([0])), sin, cos, x))(tensor(1))],
      ['whileLoop', () => grad((x: Tensor) => whileLoop((c: Tensor) => greater(tensor([1]), c), (c: Tensor) => add(c, 1), x))(tensor(0))],
    ];
    for (const [op, f] of cases) {
      const e = thrown(f) as AdjointError;
      expect(e.code).toBe('SHAPE_MISMATCH');
      expect(e.message).toMatch(new RegExp(`^${op}: .*has shape \\[1(, 1)?\\]; pass a boolean, a number or a 0-d tensor`));
    }
    // 0-d tensors, numbers and booleans are predicates
    expect(item(cond(tensor(0), sin, cos, tensor(0)))).toBe(1);
    expect(item(switchCase(tensor(1), [sin, cos], tensor(0)))).toBe(1);
    expect(item(whileLoop((c: Tensor) => greater(3, c), (c: Tensor) => add(c, 1), tensor(0)))).toBe(3);
  });

  it('a switchCase index out of range (not clamped), a cond whose branches return different structures', () => {
    expect(code(() => switchCase(3, [sin, cos], tensor(1)))).toBe('INDEX_OUT_OF_RANGE');
    expect(code(() => switchCase(-1, [sin, cos], tensor(1)))).toBe('INDEX_OUT_OF_RANGE');
    expect(code(() => switchCase(0.5, [sin, cos], tensor(1)))).toBe('INVALID_ARGUMENT');
    expect(code(() => cond(true, (y: Tensor) => y, (y: Tensor) => [y, y] as unknown as Tensor, tensor(1)))).toBe('TREE_MISMATCH');
    expect(code(() => cond(false, (y: Tensor) => y, (y: Tensor) => sqrt(zeros([2])) as Tensor, tensor(1)))).toBe('TREE_MISMATCH');
  });

  it('a traced value leaked from a finished transform is LEAKED_TRACER in every loop, even when the body never touches it', () => {
    let fromGrad: Tensor | undefined;
    grad((x: Tensor) => ((fromGrad = x), mul(x, x)))(tensor(2));
    let fromVmap: Tensor | undefined;
    vmap((x: Tensor) => ((fromVmap = x), mul(x, x)))(tensor([2, 3]));
    for (const leaked of [fromGrad!, fromVmap!]) {
      const loops: Array<() => unknown> = [
        // as init (carry), as xs, as a value the body hands back without an op
        () => scan((c: Tensor) => [c, []] as const, leaked, tensor([1, 2])),
        () => scan((c: Tensor) => [c, []] as const, tensor(0), [stack([leaked, leaked])]),
        () => scan((c: Tensor) => [c, leaked] as const, tensor(0), tensor([1, 2])),
        () => scan((c: Tensor) => [c, []] as const, leaked, undefined, { length: 0 }),
        () => foriLoop(0, 2, (_i, c: Tensor) => c, leaked),
        () => whileLoop(() => false, (c: Tensor) => c, leaked),
        // bodies that return Programs: refused at entry, before any program runs
        () => scan((c: Tensor) => Program.of([c, []] as const), leaked, tensor([1, 2])),
        () => foriLoop(0, 2, (_i, c: Tensor) => Program.of(c), leaked),
        () => whileLoop(() => false, (c: Tensor) => Program.of(c), leaked),
        // and under a transform
        () => grad((w: Tensor) => mul(w, scan((c: Tensor) => [c, []] as const, leaked, tensor([1, 2]))[0]))(tensor(1)),
        () => grad((w: Tensor) => mul(w, whileLoop(() => false, (c: Tensor) => c, leaked)))(tensor(1)),
      ];
      for (const f of loops) expect(code(f)).toBe('LEAKED_TRACER');
    }
  });

  it('a whileLoop whose body returns a Program is a Program even when it runs no step', () => {
    const none = whileLoop(() => false, (c: Tensor) => Program.of(mul(c, 2)), tensor(3));
    expect(Program.isProgram(none)).toBe(true);
    expect(item(run(none))).toBe(3);
    const g = grad((w: Tensor) => Program.map(whileLoop((c: Tensor) => greater(c, 10), (c: Tensor) => Program.of(mul(c, 2)), w), (v) => mul(v, v)));
    expect(item(run(g(tensor(3))))).toBe(6);
    // a plain body is not a Program, whether or not it could step this carry
    expect(item(whileLoop(() => false, (): Tensor => { throw new Error('never stepped'); }, tensor(3)))).toBe(3);
  });

  it('a body that uses a traced closure only on later iterations', () => {
    const f = (w: Tensor) => foriLoop(0, 3, (i, c: Tensor) => (i === 0 ? add(c, 1) : mul(c, w)), tensor(1));
    expect(code(() => grad(f)(2))).toBe('CLOSED_OVER_TRACER');
  });
});
