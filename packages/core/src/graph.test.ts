import { describe, expect, it } from 'vitest';
import { isBatonError } from './errors.ts';
import { assertAcyclic } from './graph.ts';

describe('assertAcyclic', () => {
  it('accepts a DAG with edges to existing jobs', () => {
    expect(() =>
      assertAcyclic(
        new Map([
          ['a', ['x']],
          ['b', ['a']],
          ['c', ['a', 'b']],
        ]),
      ),
    ).not.toThrow();
  });

  it('names the cycle it finds', () => {
    try {
      assertAcyclic(
        new Map([
          ['a', []],
          ['b', ['c']],
          ['c', ['d']],
          ['d', ['b']],
        ]),
      );
      expect.unreachable();
    } catch (error) {
      expect(isBatonError(error, 'dependency-cycle')).toBe(true);
      expect((error as Error).message).toBe('Dependency cycle: b → c → d → b');
    }
  });

  it('finds a self-dependency', () => {
    expect(() => assertAcyclic(new Map([['a', ['a']]]))).toThrow('Dependency cycle: a → a');
  });

  it('handles a chain of 100k without overflowing the stack', () => {
    const nodes = new Map<string, string[]>();
    for (let i = 0; i < 100_000; i++) nodes.set(`n${i}`, i === 0 ? [] : [`n${i - 1}`]);
    expect(() => assertAcyclic(nodes)).not.toThrow();
    nodes.set('n0', ['n99999']);
    expect(() => assertAcyclic(nodes)).toThrow(/Dependency cycle/);
  });
});
