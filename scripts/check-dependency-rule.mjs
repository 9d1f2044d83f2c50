#!/usr/bin/env node
// Fails when an import points the wrong way through the layers in docs/architecture.md:
//
//   common ← process, secrets, coordination, backup ← recipes ← supervisor ← supervisor/local, bin
//   common ← scheduler (server and agent share scheduler/wire, never each other) ← supervisor/local, bin
//
// A folder may import itself and anything in a lower layer it is allowed to reach; nothing imports
// bin/ or supervisor/local/ except bin/, bench/ and test/. Imports are read with the TypeScript
// parser (static, dynamic and type-only alike), so a type import that points upward fails too.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Longest prefix wins. `may` lists what a module of this layer may import besides itself. */
const layers = [
  { name: 'common', prefix: 'common', may: [] },
  { name: 'process', prefix: 'process', may: ['common'] },
  { name: 'secrets', prefix: 'secrets', may: ['common'] },
  { name: 'coordination', prefix: 'coordination', may: ['common'] },
  { name: 'backup', prefix: 'backup', may: ['common'] },
  { name: 'recipe contract', prefix: 'recipes', may: ['common', 'process', 'secrets', 'coordination', 'backup'] },
  { name: 'recipe', prefix: 'recipes/*', may: ['common', 'process', 'secrets', 'coordination', 'backup', 'recipe contract'] },
  { name: 'supervisor', prefix: 'supervisor', may: ['common', 'process', 'secrets', 'coordination', 'backup', 'recipe contract'] },
  { name: 'scheduler', prefix: 'scheduler', may: ['common'] },
  { name: 'scheduler server', prefix: 'scheduler/server', may: ['common', 'scheduler'] },
  { name: 'scheduler agent', prefix: 'scheduler/agent', may: ['common', 'scheduler'] },
  { name: 'local', prefix: 'supervisor/local', may: ['*'], top: true },
  { name: 'bin', prefix: 'bin', may: ['*'], top: true },
  { name: 'bench', prefix: 'bench', may: ['*'], top: true },
];
/** Files that are allowed to name every recipe: the registry, which loads them by dynamic import. */
const registry = 'recipes/registry.ts';

function layerOf(file) {
  const parts = file.split('/');
  let best;
  for (const layer of layers) {
    const p = layer.prefix.split('/');
    if (p.length > parts.length - 1) continue;
    if (!p.every((seg, i) => seg === '*' || seg === parts[i])) continue;
    if (!best || p.length > best.prefix.split('/').length) best = layer;
  }
  return best;
}

/** The concrete folder a `recipes/*` layer stands for in this file, so recipes cannot import each other. */
function unitOf(file, layer) {
  const p = layer.prefix.split('/');
  return file.split('/').slice(0, p.length).join('/');
}

function* sources(dir) {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) yield* sources(path);
    else if (entry.endsWith('.ts') && !entry.endsWith('.d.ts')) yield path;
  }
}

const problems = [];
let checked = 0;
for (const top of ['common', 'process', 'secrets', 'coordination', 'backup', 'recipes', 'supervisor', 'scheduler', 'bin', 'bench']) {
  for (const path of sources(join(root, top))) {
    const file = relative(root, path).split(sep).join('/');
    const from = layerOf(file);
    if (!from) {
      problems.push(`${file}: in no layer; add its folder to scripts/check-dependency-rule.mjs and docs/architecture.md`);
      continue;
    }
    checked++;
    const { importedFiles } = ts.preProcessFile(readFileSync(path, 'utf8'), true, true);
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const target = relative(root, resolve(dirname(path), fileName)).split(sep).join('/').replace(/\.js$/, '.ts');
      if (target.startsWith('..') || target.startsWith('test/')) {
        if (!from.top) problems.push(`${file}: imports ${fileName}, outside the product folders`);
        continue;
      }
      const to = layerOf(target);
      if (!to) continue;
      if (to === from && unitOf(file, from) === unitOf(target, to)) continue;
      if (from.may.includes('*')) continue;
      if (file === registry && to.name === 'recipe') continue;
      if (to.top) {
        problems.push(`${file}: imports ${target}; nothing below bin/ and supervisor/local/ may import them`);
      } else if (!from.may.includes(to.name)) {
        problems.push(`${file} (${from.name}): imports ${target} (${to.name}), which points the wrong way`);
      }
    }
  }
}

if (problems.length > 0) {
  console.error(`dependency rule (docs/architecture.md): ${problems.length} import(s) point the wrong way\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`dependency rule: ${checked} files, every import points inward`);
