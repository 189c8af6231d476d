import { it } from 'vitest';
import { opensAVersion1Database } from '../idb-upgrade.ts';

it('opens a database written by schema v1 and keeps its jobs, steps and keys (Chromium)', () => opensAVersion1Database(`upgrade-${Date.now()}`));
