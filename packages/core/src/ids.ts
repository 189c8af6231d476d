import type { Random } from './random.ts';

const ALPHABET = '0123456789abcdefghijklmnopqrstuv'; // base32hex: sorts like the numbers it encodes

function encode(value: number, length: number): string {
  return value.toString(32).padStart(length, '0');
}

/**
 * Time-sortable ids, ULID-shaped (in base32hex): 10 characters of milliseconds, 8 of a
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
    const tail = counter.toString(32);
    // base32hex digits sort like Crockford's: fixed width keeps the order
    return lastTime + node + (tail.length >= 8 ? tail : '00000000'.slice(tail.length) + tail);
  };
}
