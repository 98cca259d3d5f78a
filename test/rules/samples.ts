/**
 * Sample arguments for the registry-driven suites: a row's `ArgSpec` made into a tensor, random from
 * its domain (seeded) or its fixed values.
 */
import { greater, neg, random, tensor, type Tensor, where } from '../../src/index.js';
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
  }
}
