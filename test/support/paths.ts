import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found from this file whether it runs from source or from `dist/`. */
export const repoRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || dir.endsWith('/dist')) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json not found above test/support');
    dir = parent;
  }
  return dir;
})();

/** The built CLI; integration and e2e tests run it as a real process (`npm test` builds first). */
export const pilotfishBin = join(repoRoot, 'dist', 'bin', 'pilotfish.js');
