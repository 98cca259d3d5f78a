/**
 * The registry: every primitive row, in one list. The registry-driven test suite walks it, so a new
 * primitive is checked (shape rule against kernel, derivatives against finite differences and each
 * other) by adding it here, without touching a test file.
 *
 * @since 0.1.0
 */
import type { Rule } from '../core/rule.js';
import './broadcasting.js';
import * as elementwise from './elementwise.js';
import * as linalg from './linalg.js';
import * as reduction from './reduction.js';
import * as structure from './structure.js';

const isRule = (v: unknown): v is Rule<never> =>
  typeof v === 'object' && v !== null && 'name' in v && 'impl' in v && 'shape' in v;

/** Every primitive exported by a rules file (exports named `<op>P`). */
export const primitives: ReadonlyArray<Rule<never>> = Object.freeze(
  [elementwise, reduction, linalg, structure].flatMap((m) =>
    Object.entries(m)
      .filter(([key, v]) => key.endsWith('P') && isRule(v))
      .map(([, v]) => v as Rule<never>),
  ),
);
