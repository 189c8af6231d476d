import { ValidationError } from './errors.ts';
import type { Json } from './job.ts';
import { LIMITS } from './limits.ts';

interface Frame {
  readonly value: unknown;
  readonly parent: Frame | null;
  readonly key: string | number | null;
  readonly depth: number;
  /** Set when the frame's children have all been visited: it leaves the ancestor set. */
  exit: boolean;
}

function pathOf(frame: Frame, root: string): string {
  const parts: string[] = [];
  for (let f: Frame | null = frame; f !== null && f.key !== null; f = f.parent) parts.push(typeof f.key === 'number' ? `[${f.key}]` : `.${f.key}`);
  return root + parts.reverse().join('');
}

/**
 * Checks that a value survives JSON, IndexedDB and SQLite unchanged: plain
 * objects, arrays, strings, finite numbers, booleans and null, no cycles,
 * at most `LIMITS.jsonDepth` deep and `LIMITS.jsonBytes` as JSON. Walks
 * with its own stack, so no input can overflow the call stack. Throws a
 * `ValidationError` naming the path of the first offender.
 */
export function assertJson(value: unknown, field: string): asserts value is Json {
  const problem = findNonJson(value, field);
  if (problem !== null) throw new ValidationError(field, problem);
}

function findNonJson(root: unknown, field: string): string | null {
  let bytes = 0;
  const ancestors = new Set<object>();
  const stack: Frame[] = [{ value: root, parent: null, key: null, depth: 0, exit: false }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const value = frame.value;
    if (frame.exit) {
      ancestors.delete(value as object);
      continue;
    }
    switch (typeof value) {
      case 'string':
        bytes += value.length + 2;
        break;
      case 'boolean':
        bytes += 5;
        break;
      case 'number':
        if (!Number.isFinite(value)) return `Expected \`${pathOf(frame, field)}\` to be JSON-safe, got the number ${value}`;
        bytes += 8;
        break;
      case 'object': {
        bytes += 4;
        if (value === null) break;
        if (ancestors.has(value)) return `Expected \`${pathOf(frame, field)}\` to be JSON-safe, got a circular reference`;
        if (frame.depth >= LIMITS.jsonDepth)
          return `Expected \`${field}\` to be nested at most ${LIMITS.jsonDepth} levels deep, got deeper at \`${pathOf(frame, field)}\``;
        const isArray = Array.isArray(value);
        if (!isArray) {
          const proto: unknown = Object.getPrototypeOf(value);
          if (proto !== Object.prototype && proto !== null) {
            const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
            return `Expected \`${pathOf(frame, field)}\` to be JSON-safe, got an instance of ${name}`;
          }
        }
        ancestors.add(value);
        frame.exit = true;
        stack.push(frame);
        const depth = frame.depth + 1;
        if (isArray) {
          for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], parent: frame, key: i, depth, exit: false });
        } else {
          const keys = Object.keys(value);
          for (let i = keys.length - 1; i >= 0; i--) {
            bytes += keys[i]!.length + 3;
            stack.push({ value: (value as Record<string, unknown>)[keys[i]!], parent: frame, key: keys[i]!, depth, exit: false });
          }
        }
        break;
      }
      default:
        return `Expected \`${pathOf(frame, field)}\` to be JSON-safe, got ${typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`}`;
    }
    if (bytes > LIMITS.jsonBytes) return `Expected \`${field}\` to be at most ${LIMITS.jsonBytes} bytes as JSON, got more`;
  }
  return null;
}

/** JSON with object keys sorted, so equal values give equal strings. (Values passed `assertJson`: shallow enough to recurse.) */
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
