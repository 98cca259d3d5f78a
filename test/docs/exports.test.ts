/**
 * Every value the package exports (functions, constants, classes, namespaces' members) carries a doc
 * comment with a summary and an `@example` (which test/docs/examples.test.ts runs). Types and
 * interfaces need a summary. `npm run docs` (typedoc, warnings as errors) checks the rest: exported
 * types that are referenced, links that resolve.
 */
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');

function undocumented(): string[] {
  const program = ts.createProgram([join(root, 'src/index.ts')], { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, strict: true, noEmit: true, skipLibCheck: true });
  const checker = program.getTypeChecker();
  const index = checker.getSymbolAtLocation(program.getSourceFile(join(root, 'src/index.ts'))!)!;
  const problems: string[] = [];
  const visit = (sym: ts.Symbol, name: string): void => {
    const target = sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
    if (target.flags & ts.SymbolFlags.ValueModule && target.valueDeclaration && ts.isSourceFile(target.valueDeclaration)) {
      for (const member of checker.getExportsOfModule(target)) visit(member, `${name}.${member.getName()}`);
      return;
    }
    const isValue = (target.flags & (ts.SymbolFlags.Function | ts.SymbolFlags.Variable | ts.SymbolFlags.Class)) !== 0;
    const summary = ts.displayPartsToString(target.getDocumentationComment(checker)).trim();
    const tags = target.getJsDocTags(checker).map((t) => t.name);
    if (summary === '') problems.push(`${name}: no summary`);
    if (isValue && !tags.includes('example')) problems.push(`${name}: no @example`);
  };
  for (const sym of checker.getExportsOfModule(index)) visit(sym, sym.getName());
  return problems;
}

describe('public surface', () => {
  it('every export has a summary, and every exported value an @example', () => {
    expect(undocumented()).toEqual([]);
  }, 60_000);
});
