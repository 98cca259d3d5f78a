/**
 * The layering of ../shared/DESIGN.md, enforced by `npm test`: imports point down only,
 * core <- rules <- effects <- transforms <- optim <- index.ts, and no module is part of an import cycle.
 * Type-only imports are allowed to point anywhere (they vanish at runtime); value imports are not.
 */
const layers = ['core', 'rules', 'effects', 'transforms', 'optim'];
const above = (i) => layers.slice(i + 1).join('|');

module.exports = {
  forbidden: [
    ...layers.slice(0, -1).map((layer, i) => ({
      name: `no-upward-from-${layer}`,
      comment: `src/${layer} must not import from a layer above it (${above(i)}); inject what it needs through a hook installed at start-up`,
      severity: 'error',
      from: { path: `^src/${layer}/` },
      to: { path: `^src/(${above(i)})/|^src/index\\.ts$`, dependencyTypesNot: ['type-only'] },
    })),
    {
      name: 'no-import-of-index',
      comment: 'src/index.ts is the public surface: nothing inside src imports it',
      severity: 'error',
      from: { path: `^src/(${layers.join('|')})/` },
      to: { path: '^src/index\\.ts$' },
    },
    {
      name: 'no-cycle',
      comment: 'modules must not import each other in a cycle; break it with a hook or by moving the shared piece down',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true, dependencyTypesNot: ['type-only'], viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // the AssemblyScript sources compile to WebAssembly, not into the import graph
    exclude: { path: '^(test|bench|examples)/|^src/core/backends/wasm/assembly/' },
  },
};
