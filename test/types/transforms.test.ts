/**
 * Type-level tests of the transforms' result types: gradients have the structure of the inputs,
 * with a tensor at each leaf. `tsc --noEmit` (part of `npm test`) checks these.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { add, AdjointError, Program, run, scan, astype, customJvp, customVjp, grad, hessian, item, jacfwd, jacrev, jvp, mul, random, reshape, sum, tensor, type Tensor, toArray, transpose, valueAndGrad, vjp, vmap } from '../../src/index.js';

describe('types: gradients mirror their inputs', () => {
  const f = (x: Tensor, p: { w: Tensor; b: readonly [Tensor, number] }): Tensor => sum(mul(mul(x, p.w), p.b[0]));
  const x = tensor([1, 2]);
  const p = { w: tensor([3, 4]), b: [tensor(2), 5] as const };

  it('grad with the default argnums is the first argument’s cotangent', () => {
    const g = grad(f)(x, p);
    expectTypeOf(g).toEqualTypeOf<Tensor>();
    expect(g.shape).toEqual([2]);
  });

  it('an unannotated one-argument lambda gets a Tensor parameter', () => {
    const g = grad((x) => mul(x, x));
    expectTypeOf(g).parameter(0).toEqualTypeOf<Tensor | number>();
    expectTypeOf(g(3)).toEqualTypeOf<Tensor>();
    expectTypeOf(valueAndGrad((x) => sum(x))(x)).toEqualTypeOf<readonly [Tensor, Tensor]>();
    expect(item(g(3))).toBe(6);
  });

  it('argnums picks the argument; an array gives a tuple', () => {
    expectTypeOf(grad(f, { argnums: 1 })(x, p)).toEqualTypeOf<{ readonly w: Tensor; readonly b: readonly [Tensor, Tensor] }>();
    const both = grad(f, { argnums: [0, 1] })(x, p);
    expectTypeOf(both).toEqualTypeOf<readonly [Tensor, { readonly w: Tensor; readonly b: readonly [Tensor, Tensor] }]>();
    expect(item(both[1].b[0])).toBe(3 + 8);
  });

  it('numbers get tensor gradients; hasAux adds the aux value', () => {
    const h = (a: number) => [mul(a, a), { note: 'aux' }] as const;
    expectTypeOf(grad(h, { hasAux: true })(3)).toEqualTypeOf<readonly [Tensor, { readonly note: 'aux' }]>();
    expectTypeOf(valueAndGrad((a: number) => mul(a, a))(3)).toEqualTypeOf<readonly [Tensor, Tensor]>();
    expect(item(grad(h, { hasAux: true })(3)[0])).toBe(6);
  });

  it('vjp and jvp: cotangents accept numbers, results are tensors', () => {
    const [y, pullback] = vjp((a: Tensor) => ({ s: sum(a), t: a }), x);
    expectTypeOf(y).toEqualTypeOf<{ readonly s: Tensor; readonly t: Tensor }>();
    expectTypeOf(pullback).parameter(0).toEqualTypeOf<{ readonly s: Tensor | number; readonly t: Tensor | number }>();
    expectTypeOf(pullback({ s: 1, t: x })).toEqualTypeOf<readonly [Tensor]>();
    const [, dy] = jvp((a: Tensor) => mul(a, 2), [x], [x]);
    expectTypeOf(dy).toEqualTypeOf<Tensor>();
    // @ts-expect-error a cotangent must have the output's structure
    expect(() => pullback(x)).toThrow();
  });
});

describe('types: vmap keeps the mapped function’s signature', () => {
  it('a typed function keeps its parameters and result; an unannotated lambda takes anything', () => {
    const f = (x: Tensor, p: { w: Tensor }): Tensor => mul(x, p.w);
    const mapped = vmap(f, { inAxes: [0, null] });
    expectTypeOf(mapped).parameters.toEqualTypeOf<[x: Tensor, p: { w: Tensor }]>();
    expectTypeOf(mapped).returns.toEqualTypeOf<Tensor>();
    // an unannotated parameter is `any` (not `unknown`), so ops accept it
    const loose = vmap((x) => mul(x, 2));
    expectTypeOf(loose).parameter(0).toBeAny();
    expect(toArray(loose(tensor([1, 2])))).toEqual([2, 4]);
    // the options are typed (a misspelt key is also UNKNOWN_OPTION at run time)
    // @ts-expect-error: inAxis is not an option
    expect(() => vmap(f, { inAxis: 0 })).toThrow(/UNKNOWN_OPTION|inAxis/);
  });
});

describe('types: argnums given directly, Jacobians and Hessians typed as grad is (issue 8 §5)', () => {
  const f = (x: Tensor, p: { w: Tensor; b: readonly [Tensor, number] }): Tensor => sum(mul(mul(x, p.w), p.b[0]));
  const x = tensor([1, 2]);
  const p = { w: tensor([3, 4]), b: [tensor(2), 5] as const };
  type PGrad = { readonly w: Tensor; readonly b: readonly [Tensor, Tensor] };

  it('grad(f, 1) and grad(f, [0, 1]) type like the options form', () => {
    expectTypeOf(grad(f, 1)(x, p)).toEqualTypeOf<PGrad>();
    expectTypeOf(grad(f, [0, 1])(x, p)).toEqualTypeOf<readonly [Tensor, PGrad]>();
    expectTypeOf(valueAndGrad(f, 1)(x, p)).toEqualTypeOf<readonly [Tensor, PGrad]>();
    expect(item(grad(f, [0, 1])(x, p)[1].b[0])).toBe(11);
  });

  it('jacrev, jacfwd and hessian return the output structure around the inputs’ structure, not any', () => {
    const g = (a: Tensor) => mul(a, a);
    expectTypeOf(jacrev(g)(x)).toEqualTypeOf<Tensor>();
    expectTypeOf(jacfwd((a) => mul(a, a))(x)).toEqualTypeOf<Tensor>();
    expectTypeOf(hessian((a) => sum(a))(x)).toEqualTypeOf<Tensor>();
    const two = (a: Tensor, b: Tensor) => ({ s: sum(mul(a, b)), v: a });
    expectTypeOf(jacrev(two, [0, 1])(x, x)).toEqualTypeOf<{ readonly s: readonly [Tensor, Tensor]; readonly v: readonly [Tensor, Tensor] }>();
    expectTypeOf(jacfwd(two, 1)(x, x)).toEqualTypeOf<{ readonly s: Tensor; readonly v: Tensor }>();
    expectTypeOf(jacrev(f, 1)(x, p)).toEqualTypeOf<PGrad>();
    expectTypeOf(hessian(f, [0, 1])(x, p)).toEqualTypeOf<readonly [readonly [Tensor, PGrad], { readonly w: readonly [Tensor, PGrad]; readonly b: readonly [readonly [Tensor, PGrad], readonly [Tensor, PGrad]] }]>();
    expect(jacrev(two, [0, 1])(x, x).s[1].shape).toEqual([2]);
  });

  it('random.split returns a tuple whose length follows n, so destructuring needs no !', () => {
    const [k1, k2] = random.split(random.key(0));
    expectTypeOf(k1).toEqualTypeOf<random.Key>();
    expectTypeOf(random.split(random.key(0), 3)).toEqualTypeOf<readonly [random.Key, random.Key, random.Key]>();
    const n: number = 4;
    expectTypeOf(random.split(random.key(0), n)).toEqualTypeOf<ReadonlyArray<random.Key>>();
    // @ts-expect-error a pair has no third key
    const [, , k3] = random.split(random.key(0));
    expect([k1._tag, k2._tag, k3]).toEqual(['Key', 'Key', undefined]);
  });

  it('what the runtime refuses, the types refuse first', () => {
    // @ts-expect-error grad takes a function
    expect(() => grad(5)).toThrow(AdjointError);
    // @ts-expect-error an unknown option key
    expect(() => grad(f, { argnum: 1 })).toThrow(AdjointError);
    // @ts-expect-error argnums are numbers
    expect(() => grad(f, '1')).toThrow(AdjointError);
    // @ts-expect-error the reductions' axis is a number or an array of numbers
    expect(() => sum(x, '0')).toThrow(AdjointError);
    // @ts-expect-error an unknown key in a reduction's options
    expect(() => sum(x, { axes: 0 })).toThrow(AdjointError);
    // @ts-expect-error a shape is an array
    expect(() => reshape(x, 2)).toThrow(AdjointError);
    // @ts-expect-error a permutation is one array
    expect(() => transpose(x, 1, 0)).toThrow(AdjointError);
    // @ts-expect-error astype needs a dtype
    expect(() => astype(x, undefined)).toThrow(AdjointError);
    // @ts-expect-error not a dtype
    expect(() => tensor([1], 'int32')).toThrow(AdjointError);
    // @ts-expect-error add is not variadic
    expect(() => add(x, x, x)).toThrow(AdjointError);
  });

  it('custom rules: a bwd or jvpRule of one parameter (which gets the wrong value) does not type-check', () => {
    const sin2 = (v: Tensor) => mul(v, 2);
    const fwd = (v: Tensor) => [sin2(v), v] as const;
    // @ts-expect-error bwd is called as bwd(residuals, ct)
    expect(() => customVjp(sin2, fwd, (ct) => [ct])).toThrow(AdjointError);
    // @ts-expect-error jvpRule is called as jvpRule(primals, tangents)
    expect(() => customJvp(sin2, ([v]) => [sin2(v), v])).toThrow(AdjointError);
    // two parameters, or rest parameters, are fine, and the cotangents are still checked against the arguments
    const g = customVjp(sin2, fwd, (_v, ct) => [mul(ct, 2)]);
    expectTypeOf(g).returns.toEqualTypeOf<Tensor>();
    customVjp(sin2, fwd, (...args) => [mul(args[1], 2)]);
    // @ts-expect-error one cotangent per differentiable argument
    expect(() => customVjp(sin2, fwd, (_v, ct) => [ct, ct])).not.toThrow();
    const j = customJvp(sin2, ([v], [t]) => [sin2(v), mul(t!, 2)]);
    expect(item(grad(j)(1))).toBe(2);
  });
});

describe('types: loops', () => {
  it('an unannotated scan body returning [carry, y] is a tuple, and so is the result', () => {
    const [total, partial] = scan((c, x: Tensor) => [add(c, x), c], tensor(0), tensor([1, 2, 3]));
    expectTypeOf(total).toEqualTypeOf<Tensor>();
    expectTypeOf(partial).toEqualTypeOf<Tensor>();
    expect(toArray(partial)).toEqual([0, 1, 3]);
    expect(item(total)).toBe(6);
  });

  it('a scan body returning a Program gives a Program', () => {
    const p = scan((c: Tensor, x: Tensor) => Program.of([add(c, x), c] as const), tensor(0), tensor([1, 2]));
    expectTypeOf(p).toEqualTypeOf<Program<readonly [Tensor, Tensor], never>>();
    const [total] = run(p);
    expect(item(total)).toBe(3);
  });
});
