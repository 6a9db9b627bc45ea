/**
 * The shell parser: tree-sitter's bash grammar, run as WebAssembly (no native build). Loaded once,
 * on first use. A command line that does not parse cleanly (an ERROR or MISSING node anywhere) is
 * refused by the caller: what Bastion cannot read, it does not allow.
 */
import { createRequire } from 'node:module';
import { Language, Parser, type Tree } from 'web-tree-sitter';

const require = createRequire(import.meta.url);
let ready: Promise<Parser> | undefined;

async function load(): Promise<Parser> {
  await Parser.init({ locateFile: () => require.resolve('web-tree-sitter/web-tree-sitter.wasm') });
  const bash = await Language.load(require.resolve('tree-sitter-bash/tree-sitter-bash.wasm'));
  const parser = new Parser();
  parser.setLanguage(bash);
  return parser;
}

export function shellParser(): Promise<Parser> {
  ready ??= load();
  return ready;
}

/** Parses a command line; the caller must `delete()` the tree. */
export async function parseShell(source: string): Promise<Tree> {
  const tree = (await shellParser()).parse(source);
  if (!tree) throw new Error('the shell parser returned no tree');
  return tree;
}
