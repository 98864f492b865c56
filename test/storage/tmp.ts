// Temporary directories for storage tests, removed when the test ends.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { openEngine, type Engine, type EngineOptions } from '../../src/storage/index.js';

export function tempDir(prefix = 'flotilla-storage-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** An engine in a fresh directory, closed and deleted after the test. noSync unless told. */
export function tempEngine(t: TestContext, opts: Partial<EngineOptions> = {}): { engine: Engine; dir: string } {
  const dir = tempDir();
  const engine = openEngine({ path: dir, noSync: true, ...opts });
  t.after(async () => {
    await engine.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { engine, dir };
}
