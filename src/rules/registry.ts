/**
 * The registry: every primitive row, in one list. The registry-driven test suite walks it, so a new
 * primitive is checked (shape rule against kernel, derivatives against finite differences and each
 * other) by adding it here, without touching a test file. Rows with several results (`MultiRule`:
 * decompositions) are listed apart, since their shape rule, kernel and rules return one value per
 * result; the suite checks them the same way, output by output.
 *
 * @since 0.1.0
 */
import type { MultiRule, Rule } from '../core/rule.js';
import './broadcasting.js';
import * as decompositions from './decompositions.js';
import * as elementwise from './elementwise.js';
import * as conv from './conv.js';
import * as indexing from './indexing.js';
import * as scans from './scans.js';
import * as linalg from './linalg.js';
import * as matrix from './matrix.js';
import * as norm from './norm.js';
import * as math from './math.js';
import * as reduction from './reduction.js';
import * as solve from './solve.js';
import * as structure from './structure.js';

const isRow = (v: unknown): v is Rule<never> | MultiRule<never> =>
  typeof v === 'object' && v !== null && 'name' in v && 'impl' in v && 'shape' in v;

const isMulti = (v: Rule<never> | MultiRule<never>): v is MultiRule<never> => 'multipleResults' in v && v.multipleResults === true;

/** Every row exported by a rules file (exports named `<op>P`). */
const rows = [elementwise, reduction, linalg, structure, matrix, solve, decompositions, norm, math, conv, indexing, scans].flatMap((m) =>
  Object.entries(m)
    .filter(([key, v]) => key.endsWith('P') && isRow(v))
    .map(([, v]) => v as Rule<never> | MultiRule<never>),
);

/** Every single-result primitive. */
export const primitives: ReadonlyArray<Rule<never>> = Object.freeze(rows.filter((r): r is Rule<never> => !isMulti(r)));

/** Every multiple-result primitive. */
export const multiPrimitives: ReadonlyArray<MultiRule<never>> = Object.freeze(rows.filter(isMulti));
