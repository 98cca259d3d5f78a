import { describe, expect, it } from 'vitest';
import {
  AdjointError,
  add,
  grad,
  item,
  jvp,
  matmul,
  mean,
  optim,
  random,
  scalar,
  square,
  sub,
  sum,
  type Tensor,
  tensor,
  toArray,
  toTypedArray,
  tree,
  valueAndGrad,
  vmap,
} from '../../src/index.js';
import { thrown } from '../reference.js';

const code = (f: () => unknown): string | undefined => (thrown(f) as AdjointError | undefined)?.code;
const message = (f: () => unknown): string | undefined => (thrown(f) as Error | undefined)?.message;

/** Reference optimizers on plain numbers, one coordinate at a time, written from the papers' formulas. */
function referenceAdam(gs: number[], lr: number, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0, p0 = 0): number[] {
  let m = 0;
  let v = 0;
  let p = p0;
  const out: number[] = [];
  gs.forEach((g, i) => {
    const t = i + 1;
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g * g;
    const u = -lr * ((m / (1 - b1 ** t)) / (Math.sqrt(v / (1 - b2 ** t)) + eps) + wd * p);
    p += u;
    out.push(u);
  });
  return out;
}

/** Runs `opt` on a fixed gradient sequence for one scalar parameter, returning each update. */
function updates(opt: optim.GradientTransformation, gs: number[], p0 = 0): number[] {
  let params = { p: scalar(p0) };
  let state = opt.init(params);
  const out: number[] = [];
  for (const g of gs) {
    const [u, s] = opt.update({ p: scalar(g) }, state, params);
    state = s;
    out.push(item(u.p));
    params = optim.applyUpdates(params, u);
  }
  return out;
}

const GS = [0.5, -1.5, 2, 0.25, -0.75];

describe('optim: each optimizer against its formula', () => {
  it('sgd', () => {
    expect(updates(optim.sgd(0.1), GS)).toEqual(GS.map((g) => -0.1 * g));
  });

  it('momentum, heavy ball and Nesterov', () => {
    const run = (nesterov: boolean): number[] => {
      let v = 0;
      return GS.map((g) => {
        v = g + 0.9 * v;
        return -0.1 * (nesterov ? g + 0.9 * v : v);
      });
    };
    const close = (a: number[], b: number[]) => a.forEach((x, i) => expect(x).toBeCloseTo(b[i]!, 14));
    close(updates(optim.momentum(0.1), GS), run(false));
    close(updates(optim.momentum(0.1, { nesterov: true }), GS), run(true));
    expect(updates(optim.momentum(0.1, { nesterov: true }), GS)).not.toEqual(updates(optim.momentum(0.1), GS));
  });

  it('adam and adamw', () => {
    const close = (a: number[], b: number[]) => a.forEach((x, i) => expect(x).toBeCloseTo(b[i]!, 14));
    close(updates(optim.adam(0.01), GS), referenceAdam(GS, 0.01));
    close(updates(optim.adam(0.01, { b1: 0.5, b2: 0.9, eps: 1e-3 }), GS), referenceAdam(GS, 0.01, 0.5, 0.9, 1e-3));
    close(updates(optim.adamw(0.01, { weightDecay: 0.1 }), GS, 2), referenceAdam(GS, 0.01, 0.9, 0.999, 1e-8, 0.1, 2));
  });

  it('rmsprop', () => {
    let v = 0;
    const want = GS.map((g) => {
      v = 0.9 * v + 0.1 * g * g;
      return (-0.01 * g) / Math.sqrt(v + 1e-8);
    });
    updates(optim.rmsprop(0.01), GS).forEach((x, i) => expect(x).toBeCloseTo(want[i]!, 14));
  });

  it('clipByGlobalNorm rescales only gradients above the limit, over the whole tree', () => {
    const clip = optim.clipByGlobalNorm(1);
    const [big] = clip.update({ a: tensor([3, 0]), b: [tensor(4)] }, clip.init({ a: tensor([0, 0]), b: [tensor(0)] }));
    (toArray(big.a) as number[]).forEach((v, i) => expect(v).toBeCloseTo([0.6, 0][i]!, 15));
    expect(toArray(big.b[0]!)).toBeCloseTo(0.8, 15);
    const [small] = clip.update({ a: tensor([0.3, 0.4]) }, clip.init({ a: tensor([0, 0]) }));
    expect(toArray(small.a)).toEqual([0.3, 0.4]);
    // the norm's gradient at the zero tree is 0, not NaN
    const g = grad((x: Tensor) => sum(clip.update([x], clip.init([x]))[0][0]!))(tensor([0, 0]));
    expect(toArray(g)).toEqual([1, 1]);
  });

  it('chain threads updates and keeps one state per transformation', () => {
    const opt = optim.chain(optim.clipByGlobalNorm(1), optim.adam(0.1));
    const state = opt.init({ w: tensor([0, 0]) });
    expect(Array.isArray(state) && state.length).toBe(2);
    const [u, next] = opt.update({ w: tensor([30, 40]) }, state);
    expect((toArray(u.w) as number[]).map((x) => Math.round(x * 1e6) / 1e6)).toEqual([-0.1, -0.1]);
    expect(toArray((next as unknown as [unknown, { count: Tensor }])[1].count)).toBe(1);
  });
});

describe('optim: purity', () => {
  it('state is frozen and neither the parameters, the gradients nor the old state change', () => {
    const opt = optim.adam(0.1);
    const params = { w: tensor([1, 2]), b: tensor(0.5) };
    const grads = { w: tensor([0.1, -0.2]), b: tensor(1) };
    const state = opt.init(params);
    const snapshot = JSON.stringify(tree.map((t) => t, state), (_k, v) => (v && typeof v === 'object' && 'shape' in v ? Array.from(toTypedArray(v)) : v));
    const [u, next] = opt.update(grads, state, params);
    expect(Object.isFrozen(next)).toBe(true);
    expect(Object.isFrozen((next as { mu: object }).mu)).toBe(true);
    expect(Object.isFrozen(u)).toBe(true);
    expect(next).not.toBe(state);
    expect(JSON.stringify(tree.map((t) => t, state), (_k, v) => (v && typeof v === 'object' && 'shape' in v ? Array.from(toTypedArray(v)) : v))).toBe(snapshot);
    expect(toArray(params.w)).toEqual([1, 2]);
    expect(toArray(grads.w)).toEqual([0.1, -0.2]);
    expect(() => {
      (next as { count: unknown }).count = 5;
    }).toThrow(TypeError);
  });

  it('adam minimises a quadratic bowl through applyUpdates', () => {
    const target = tensor([1, -2, 3]);
    const loss = (p: { x: Tensor }) => sum(square(sub(p.x, target)));
    const opt = optim.adam(0.1);
    let params = { x: tensor([0, 0, 0]) };
    let state = opt.init(params);
    for (let i = 0; i < 300; i++) {
      const g = grad(loss)(params);
      const [u, s] = opt.update(g, state, params);
      params = optim.applyUpdates(params, u);
      state = s;
    }
    expect(item(loss(params))).toBeLessThan(1e-4);
  });
});

describe('optim: differentiable updates', () => {
  it('the meta-gradient of a validation loss after unrolled Adam steps, with respect to the learning rate, matches central differences', () => {
    const [k1, k2, k3, k4] = random.split(random.key(5), 4);
    const wTrue = random.normal(k1!, [4, 1]);
    const xTrain = random.normal(k2!, [16, 4]);
    const xVal = random.normal(k3!, [8, 4]);
    const yTrain = matmul(xTrain, wTrue);
    const yVal = add(matmul(xVal, wTrue), random.normal(k4!, [8, 1], { std: 0.1 }));
    const mse = (w: Tensor, x: Tensor, y: Tensor) => mean(square(sub(matmul(x, w), y)));

    const validationAfterTraining = (lr: Tensor | number): Tensor => {
      const opt = optim.adam(typeof lr === 'number' ? scalar(lr) : lr);
      let params = { w: tensor([[0.1], [0.2], [-0.1], [0.3]]) };
      let state = opt.init(params);
      for (let step = 0; step < 4; step++) {
        const g = grad((p: typeof params) => mse(p.w, xTrain, yTrain))(params);
        const [u, s] = opt.update(g, state, params);
        params = optim.applyUpdates(params, u);
        state = s;
      }
      return mse(params.w, xVal, yVal);
    };

    const lr = 0.05;
    const [value, meta] = valueAndGrad(validationAfterTraining)(scalar(lr));
    const h = 1e-5;
    const fd = (item(validationAfterTraining(lr + h)) - item(validationAfterTraining(lr - h))) / (2 * h);
    expect(item(value)).toBeCloseTo(item(validationAfterTraining(lr)), 14);
    expect(Math.abs(item(meta))).toBeGreaterThan(1e-3);
    expect(Math.abs(item(meta) - fd)).toBeLessThan(1e-6 * Math.max(1, Math.abs(fd)));
  });

  it('momentum and rmsprop updates differentiate with respect to the learning rate too', () => {
    for (const make of [(lr: Tensor) => optim.momentum(lr, { nesterov: true }), (lr: Tensor) => optim.rmsprop(lr)]) {
      const f = (lr: Tensor) => {
        const opt = make(lr);
        const [u] = opt.update([tensor([2, -1])], opt.init([tensor([0, 0])]));
        return sum(u[0]!);
      };
      const d = item(grad(f)(scalar(0.1)));
      expect(d).toBeCloseTo(item(f(scalar(1))), 12); // the update is linear in the learning rate
    }
  });
});

describe('optim: the boundary', () => {
  it('refuses bad hyperparameters, options and states with typed errors', () => {
    expect(code(() => optim.adam(Number.NaN))).toBe('INVALID_ARGUMENT');
    expect(code(() => optim.adam('0.1' as never))).toBe('INVALID_ARGUMENT');
    expect(code(() => optim.adam(tensor([0.1, 0.2])))).toBe('SHAPE_MISMATCH');
    expect(code(() => optim.adam(0.1, { beta1: 0.9 } as never))).toBe('UNKNOWN_OPTION');
    expect(code(() => optim.adam(0.1, { b1: 1 }))).toBe('INVALID_ARGUMENT');
    expect(code(() => optim.momentum(0.1, { nesterov: 'yes' } as never))).toBe('INVALID_ARGUMENT');
    expect(code(() => optim.rmsprop(0.1, { eps: -1 }))).toBe('INVALID_ARGUMENT');
    expect(code(() => optim.clipByGlobalNorm(0))).toBe('INVALID_ARGUMENT');
    expect(code(() => optim.chain({} as never))).toBe('INVALID_ARGUMENT');
    const opt = optim.adam(0.1);
    const p = { w: tensor([1]) };
    expect(code(() => opt.update(p, {} as never))).toBe('INVALID_ARGUMENT');
    expect(code(() => opt.update({ v: tensor([1]) } as never, opt.init(p)))).toBe('TREE_MISMATCH');
    const w = optim.adamw(0.1);
    expect(code(() => w.update(p, w.init(p)))).toBe('INVALID_ARGUMENT');
    expect(code(() => optim.applyUpdates(p, [tensor(1)] as never))).toBe('TREE_MISMATCH');
  });

  it('a learning rate is finite and at least 0 (a number or a concrete 0-d tensor); 0 keeps the parameters', () => {
    for (const lr of [-0.1, -Infinity, Infinity, NaN]) {
      for (const make of [optim.sgd, optim.momentum, optim.adam, optim.adamw, optim.rmsprop]) {
        expect(code(() => make(lr))).toBe('INVALID_ARGUMENT');
        expect(code(() => make(tensor(lr)))).toBe('INVALID_ARGUMENT');
      }
    }
    expect(message(() => optim.sgd(-1))).toContain('minimise its negation');
    const opt = optim.adam(0);
    const p = { w: tensor([1, 2]) };
    const [u] = opt.update({ w: tensor([3, -4]) }, opt.init(p));
    expect(toArray(optim.applyUpdates(p, u).w)).toEqual([1, 2]);
    // a traced learning rate is read through its primal, and a valid one goes on to be differentiated
    expect(toArray(grad((lr: Tensor) => sum(optim.sgd(lr).update([tensor([1, 2])], {})[0][0]!))(tensor(0.5)))).toBe(-3);
  });

  it('a learning rate traced by grad, jvp or vmap is checked too: its primal, and every lane', () => {
    // the loss after one step from a learning rate the function receives: a negative one would climb
    const afterStep = (lr: Tensor | number, make: (lr: Tensor | number) => optim.GradientTransformation) => {
      const opt = make(lr);
      const p = { w: tensor([1, 2]) };
      const [u] = opt.update({ w: tensor([1, 2]) }, opt.init(p), p);
      return sum(square(optim.applyUpdates(p, u).w));
    };
    for (const make of [optim.sgd, optim.momentum, optim.adam, optim.adamw, optim.rmsprop]) {
      const f = (lr: Tensor) => afterStep(lr, make);
      for (const bad of [-0.5, NaN, Infinity]) {
        expect(code(() => grad(f)(scalar(bad)))).toBe('INVALID_ARGUMENT');
        expect(code(() => jvp(f, [scalar(bad)], [scalar(1)]))).toBe('INVALID_ARGUMENT');
        expect(code(() => grad(grad(f))(scalar(bad)))).toBe('INVALID_ARGUMENT');
      }
      // only the last lane is bad: the message names it
      expect(message(() => vmap(f)(tensor([0.1, 0, -0.5])))).toContain('holding -0.5 (in vmap lane 2)');
      expect(code(() => vmap(grad(f))(tensor([0.1, NaN])))).toBe('INVALID_ARGUMENT');
      // valid rates still go through every transform, with the same values as called directly
      expect(toArray(vmap(f)(tensor([0.1, 0])))).toEqual([item(afterStep(0.1, make)), item(afterStep(0, make))]);
      expect(Number.isFinite(item(grad(f)(scalar(0.1))))).toBe(true);
    }
  });

  it('updates are shaped and typed like the gradients; a mismatch names the update and the leaf', () => {
    const p32 = { w: tensor([1, 2], 'float32'), b: [tensor(0.5, 'float32')] };
    const g32 = { w: tensor([0.1, -0.2], 'float32'), b: [tensor(1, 'float32')] };
    for (const opt of [optim.sgd(0.1), optim.sgd(scalar(0.1)), optim.momentum(0.1, { nesterov: true }), optim.adam(scalar(0.1)), optim.adamw(0.1), optim.rmsprop(0.1), optim.chain(optim.clipByGlobalNorm(0.1), optim.adam(0.1))]) {
      const [u, state] = opt.update(g32, opt.init(p32), p32);
      const next = optim.applyUpdates(p32, u);
      // float32 parameters stay float32 (before, a float64 learning rate made them float64)
      expect([u.w.dtype, u.b[0]!.dtype, next.w.dtype, next.b[0]!.dtype]).toEqual(['float32', 'float32', 'float32', 'float32']);
      expect(tree.leaves(state).filter((l) => typeof l !== 'number' && l.ndim > 0).every((l) => (l as Tensor).dtype === 'float32')).toBe(true);
    }
    const m = optim.momentum(0.1);
    // a 0-d gradient against a state made for [3]: once broadcast to [3], now SHAPE_MISMATCH
    expect(code(() => m.update({ w: tensor(1) }, m.init({ w: tensor([1, 2, 3]) })))).toBe('SHAPE_MISMATCH');
    expect(message(() => m.update({ w: tensor(1) }, m.init({ w: tensor([1, 2, 3]) })))).toBe(
      "optim.momentum.update: the leaf at .w has shape [] in grads but [3] in the state's trace; paired leaves must have equal shapes (optim.momentum.update does not broadcast)",
    );
    for (const opt of [optim.adam(0.1), optim.adamw(0.1), optim.rmsprop(0.1)]) {
      const state = opt.init({ w: tensor([1, 2]) });
      expect(code(() => opt.update({ w: tensor([[1, 2]]) }, state, { w: tensor([1, 2]) }))).toBe('SHAPE_MISMATCH');
      expect(message(() => opt.update({ w: tensor([1, 2], 'float32') }, state, { w: tensor([1, 2]) }))).toContain('.update: the leaf at .w is float32 in grads but float64');
    }
    // adamw pairs the parameters with the gradients too
    const w = optim.adamw(0.1);
    expect(message(() => w.update({ w: tensor([1, 2]) }, w.init({ w: tensor([1, 2]) }), { w: tensor([1]) }))).toContain('optim.adamw.update: the leaf at .w has shape [2] in grads but [1] in params');
    // a bad gradient tree is the update's error, not a helper's
    expect(message(() => optim.sgd(0.1).update({ w: 'x' } as never, {}))).toContain('optim.sgd.update');
  });

  it('applyUpdates adds leaves of equal shapes and dtypes, and names the leaf that differs', () => {
    // [2] params with a [2, 2] update once became [2, 2]
    expect(code(() => optim.applyUpdates({ w: tensor([1, 2]) }, { w: tensor([[1, 2], [3, 4]]) }))).toBe('SHAPE_MISMATCH');
    expect(message(() => optim.applyUpdates({ a: [tensor(1), tensor([1, 2])] }, { a: [tensor(1), tensor(2)] }))).toBe(
      'optim.applyUpdates: the leaf at .a[1] has shape [2] in params but [] in updates; paired leaves must have equal shapes (optim.applyUpdates does not broadcast)',
    );
    expect(code(() => optim.applyUpdates({ w: tensor([1, 2], 'float32') }, { w: tensor([1, 2]) }))).toBe('INVALID_DTYPE');
    expect(message(() => optim.applyUpdates({ w: tensor([1]) }, { v: tensor([1]) } as never))).toContain('optim.applyUpdates: updates has structure');
    // numbers are 0-d leaves that take their partner's dtype
    const summed = optim.applyUpdates<{ a: Tensor | number; b: Tensor | number }>({ a: 1, b: tensor(2, 'float32') }, { a: tensor(0.5), b: 1 });
    expect(toArray(summed.b as Tensor)).toBe(3);
    expect((summed.b as Tensor).dtype).toBe('float32');
  });

  it('eps is positive (adam divides by it where the second moment is 0); weightDecay is at least 0', () => {
    for (const make of [optim.adam, optim.adamw, optim.rmsprop]) {
      expect(code(() => make(0.1, { eps: 0 }))).toBe('INVALID_ARGUMENT');
      expect(code(() => make(0.1, { eps: NaN }))).toBe('INVALID_ARGUMENT');
    }
    expect(code(() => optim.adamw(0.1, { weightDecay: -1e-4 }))).toBe('INVALID_ARGUMENT');
    expect(code(() => optim.adam(0.1, { weightDecay: 0.1 } as never))).toBe('UNKNOWN_OPTION');
    expect(message(() => optim.rmsprop(0.1, { decy: 0.9 } as never))).toContain('did you mean "decay"?');
    expect(code(() => optim.momentum(0.1, { beta: -0.1 }))).toBe('INVALID_ARGUMENT');
    // with the smallest positive eps, a zero gradient still gives a zero update, not NaN
    const opt = optim.adam(0.1, { eps: Number.MIN_VALUE });
    const [u] = opt.update([tensor([0, 1])], opt.init([tensor([0, 0])]));
    expect((toArray(u[0]!) as number[]).every(Number.isFinite)).toBe(true);
  });

  it('init, update, applyUpdates and the constructors refuse extra arguments; init checks its tree', () => {
    const call = (f: unknown, ...args: unknown[]): unknown => (f as (...a: unknown[]) => unknown)(...args);
    const opt = optim.adam(0.1);
    const p = [tensor([1])];
    expect(code(() => call(opt.init, p, p))).toBe('INVALID_ARGUMENT');
    expect(code(() => call(opt.update, p, opt.init(p), p, p))).toBe('INVALID_ARGUMENT');
    expect(code(() => call(optim.applyUpdates, p, p, p))).toBe('INVALID_ARGUMENT');
    expect(code(() => call(optim.sgd, 0.1, { momentum: 0.9 }))).toBe('INVALID_ARGUMENT');
    expect(code(() => call(optim.adam, 0.1, {}, 1))).toBe('INVALID_ARGUMENT');
    expect(code(() => call(optim.clipByGlobalNorm, 1, 2))).toBe('INVALID_ARGUMENT');
    expect(code(() => optim.sgd(0.1).init(['a'] as never))).toBe('NOT_NUMERIC');
    expect(code(() => optim.clipByGlobalNorm(1).init(undefined))).toBe('NOT_NUMERIC');
  });
});
