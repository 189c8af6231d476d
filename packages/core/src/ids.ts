import type { Random } from './random.ts';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'; // Crockford base32: sorts like the numbers it encodes

function encode(value: number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    out = ALPHABET[value % 32]! + out;
    value = Math.floor(value / 32);
  }
  return out;
}

/**
 * Time-sortable ids, ULID-shaped: 10 characters of milliseconds, 8 of a
 * per-generator random node id, 8 of a counter. Ids from one generator are
 * strictly increasing even when the clock stands still or steps back.
 */
export function createIdGenerator(random: Random): (nowMs: number) => string {
  let node = '';
  for (let i = 0; i < 8; i++) node += ALPHABET[Math.floor(random.next() * 32)];
  let lastMs = -1;
  let lastTime = '';
  let counter = 0;
  return (nowMs) => {
    if (nowMs > lastMs) {
      lastMs = nowMs;
      lastTime = encode(nowMs, 10);
    }
    counter++;
    return lastTime + node + encode(counter, 8);
  };
}
