import 'fake-indexeddb/auto';
import { it } from 'vitest';
import { opensAVersion1Database } from './idb-upgrade.ts';

it('opens a database written by schema v1 and keeps its jobs, steps and keys (fake-indexeddb)', () => opensAVersion1Database(`upgrade-${Date.now()}`));
