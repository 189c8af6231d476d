import { ValidationError } from './errors.ts';
import type { Json } from './job.ts';

/**
 * Checks that a value survives JSON, IndexedDB and SQLite unchanged: plain
 * objects, arrays, strings, finite numbers, booleans and null, no cycles.
 * Throws a `ValidationError` naming the path of the first offender.
 */
export function assertJson(value: unknown, field: string): asserts value is Json {
  const problem = findNonJson(value, field, new Set());
  if (problem !== null) throw new ValidationError(field, problem);
}

function findNonJson(value: unknown, path: string, seen: Set<object>): string | null {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return null;
    case 'number':
      return Number.isFinite(value) ? null : `Expected \`${path}\` to be JSON-safe, got the number ${value}`;
    case 'object': {
      if (value === null) return null;
      if (seen.has(value)) return `Expected \`${path}\` to be JSON-safe, got a circular reference`;
      if (Array.isArray(value)) {
        seen.add(value);
        for (let i = 0; i < value.length; i++) {
          const problem = findNonJson(value[i], `${path}[${i}]`, seen);
          if (problem !== null) return problem;
        }
        seen.delete(value);
        return null;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
        return `Expected \`${path}\` to be JSON-safe, got an instance of ${name}`;
      }
      seen.add(value);
      for (const key in value) {
        const problem = findNonJson((value as Record<string, unknown>)[key], `${path}.${key}`, seen);
        if (problem !== null) return problem;
      }
      seen.delete(value);
      return null;
    }
    default:
      return `Expected \`${path}\` to be JSON-safe, got ${typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`}`;
  }
}

/** JSON with object keys sorted, so equal values give equal strings. */
export function canonicalJson(value: Json): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v: Json) => canonicalJson(v)).join(',')}]`;
  const obj = value as { readonly [key: string]: Json };
  const keys = Object.keys(obj).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k]!)}`).join(',')}}`;
}

/** A 53-bit hash (cyrb53) of a string, as 14 hex digits. Fingerprints, not security. */
export function hash53(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16).padStart(14, '0');
}
