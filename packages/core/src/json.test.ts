import { describe, expect, it } from 'vitest';
import { assertJson, canonicalJson, hash53 } from './json.ts';

describe('assertJson', () => {
  it('accepts plain JSON values', () => {
    expect(() => assertJson({ a: [1, 'x', null, true, { b: -0.5 }], c: Object.create(null) }, 'payload')).not.toThrow();
  });

  it.each([
    [{ a: undefined }, '`payload.a`', 'undefined'],
    [{ a: [1, () => 2] }, '`payload.a[1]`', 'function'],
    [{ d: new Date(0) }, '`payload.d`', 'Date'],
    [{ m: new Map() }, '`payload.m`', 'Map'],
    [{ n: Infinity }, '`payload.n`', 'Infinity'],
    [{ b: 10n }, '`payload.b`', 'bigint'],
  ])('names the path of a bad value (case %#)', (value, path, what) => {
    expect(() => assertJson(value, 'payload')).toThrow(path);
    expect(() => assertJson(value, 'payload')).toThrow(what);
  });

  it('refuses cycles but accepts shared references', () => {
    const shared = { x: 1 };
    expect(() => assertJson({ a: shared, b: shared }, 'payload')).not.toThrow();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => assertJson(cyclic, 'payload')).toThrow('circular');
  });
});

describe('canonicalJson and hash53', () => {
  it('give equal output for equal values with keys in any order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 2], c: null } })).toBe(canonicalJson({ a: { c: null, d: [1, 2] }, b: 1 }));
    expect(hash53(canonicalJson({ a: 1 }))).toBe(hash53(canonicalJson({ a: 1 })));
    expect(hash53('{"a":1}')).not.toBe(hash53('{"a":2}'));
  });
});
