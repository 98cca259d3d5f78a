/**
 * Sample arguments for the registry-driven suites: a row's `ArgSpec` made into a tensor, random from
 * its domain (seeded) or its fixed values.
 */
import { add, div, eye, greater, matmul, neg, random, tensor, type Tensor, toTypedArray, transpose, where } from '../../src/index.js';
import type { ArgSpec } from '../../src/core/rule.js';

export function sample(spec: ArgSpec, seed: number): Tensor {
  if (spec.values !== undefined) return tensor([...spec.values], { shape: spec.shape });
  const k = random.key(seed);
  switch (spec.domain ?? 'real') {
    case 'real':
      return random.normal(k, spec.shape);
    case 'positive':
      return random.uniform(k, spec.shape, { minval: 0.5, maxval: 2 });
    case 'unit':
      return random.uniform(k, spec.shape, { minval: -0.9, maxval: 0.9 });
    case 'awayFromZero': {
      const [a, b] = random.split(k, 2);
      const mag = random.uniform(a!, spec.shape, { minval: 0.5, maxval: 2 });
      const sign = random.uniform(b!, spec.shape);
      return where(greater(sign, 0.5), mag, neg(mag));
    }
    case 'invertible': {
      // ±[1.5, 2.5] on each matrix's diagonal, normal noise of scale 0.3 everywhere
      const [a, b, c] = random.split(k, 3);
      const noise = toTypedArray(random.normal(a!, spec.shape));
      const mag = toTypedArray(random.uniform(b!, spec.shape, { minval: 1.5, maxval: 2.5 }));
      const sign = toTypedArray(random.uniform(c!, spec.shape));
      const [m, n] = spec.shape.slice(-2) as [number, number];
      const data = noise.map((v, i) => {
        const r = Math.floor(i / n) % m;
        return 0.3 * v + (r === i % n ? (sign[i]! > 0.5 ? mag[i]! : -mag[i]!) : 0);
      });
      return tensor(data, { shape: spec.shape });
    }
    case 'spd': {
      // M Mᵀ / n + I
      const n = spec.shape[spec.shape.length - 1]!;
      const m = random.normal(k, spec.shape);
      return add(div(matmul(m, mT(m)), n), eye(n));
    }
  }
}

/** Swaps the last two axes. */
const mT = (x: Tensor): Tensor => transpose(x, x.shape.map((_, i) => (i < x.ndim - 2 ? i : 2 * x.ndim - 3 - i)));
