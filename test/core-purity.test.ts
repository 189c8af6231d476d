import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CORE = new URL('../packages/core/src/', import.meta.url).pathname;
// Calls of the globals, not properties of the same name (`host.setTimeout(...)` is injected).
const AMBIENT =
  /(?<![.\w])(Date\.now|new Date\(\)|Math\.random|performance\.now|setTimeout\(|setInterval\(|setImmediate\(|queueMicrotask\(|fetch\(|indexedDB|localStorage|process\.|globalThis|window\.|self\.|crypto\.)/;

/** The one module allowed to read the host (`@baton/core/system`): nothing else in core may import it. */
const SYSTEM = 'system.ts';
/** The one module with a dependency (croner, for cron expressions; `@baton/core/cron`): injected, as the clock is. */
const CRON = 'cron.ts';
/** Test support's one turn of the event loop (no time, no randomness); used by the rig only. */
const HOST_YIELD = 'testing/host-yield.ts';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sources(join(dir, e.name))
      : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.test-d.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

describe('packages/core', () => {
  it('uses no ambient time, randomness or I/O', () => {
    const offenders: string[] = [];
    for (const file of sources(CORE)) {
      if (file === join(CORE, SYSTEM) || file === join(CORE, HOST_YIELD)) continue;
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          // Strings are not code: an import path such as './window.ts' is not `window.`.
          const code = line
            .replace(/'[^']*'|"[^"]*"|`[^`]*`/g, "''")
            .replace(/\/\/.*$/, '')
            .replace(/^\s*\*.*$/, '');
          if (AMBIENT.test(code)) offenders.push(`${file.slice(CORE.length)}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(offenders).toEqual([]);
  });

  it('imports nothing from outside the package, but for cron.ts (croner)', () => {
    const imports = sources(CORE)
      .filter((file) => file !== join(CORE, CRON))
      .flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/^(?:import|export) [^;]*? from '([^']+)'/gm)].map((m) => m[1]!));
    expect(imports.filter((spec) => !spec.startsWith('.'))).toEqual([]);
  });

  it('imports system.ts from no pure module: the package exports it as an entry of its own', () => {
    const importers = sources(CORE).filter((file) => /from '\.{1,2}\/(?:[\w-]+\/)*system\.ts'/.test(readFileSync(file, 'utf8')));
    expect(importers).toEqual([]);
    const cron = sources(CORE).filter(
      (file) =>
        file !== join(CORE, SYSTEM) && !file.startsWith(join(CORE, 'testing')) && /from '\.{1,2}\/(?:[\w-]+\/)*cron\.ts'/.test(readFileSync(file, 'utf8')),
    );
    expect(cron).toEqual([]); // only the host wiring (and test support) takes the cron parser
  });
});
