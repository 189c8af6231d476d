/**
 * The demo's worker: Baton on IndexedDB, one leader across tabs. Two kinds
 * of work: `tile` renders a Mandelbrot tile on an OffscreenCanvas (real CPU
 * work, off the main thread), and `edge` delivers a job to the Durable
 * Object through the offline outbox.
 */
import { edgeHandler, hostScheduler } from '@baton/browser';
import { demoFetch } from './net.ts';

export interface Tile {
  /** Pixels per side. */
  readonly size: number;
  /** The view's centre and zoom. */
  readonly x: number;
  readonly y: number;
  readonly zoom: number;
  readonly iterations: number;
}

/** Renders the tile row by row, reporting progress, and returns it as a PNG data URL. */
async function renderTile(tile: Tile, ctx: { progress(value: { done: number; of: number }): void; signal: AbortSignal }): Promise<string> {
  const canvas = new OffscreenCanvas(tile.size, tile.size);
  const g = canvas.getContext('2d')!;
  const image = g.createImageData(tile.size, tile.size);
  const scale = 3 / (tile.size * tile.zoom);
  for (let py = 0; py < tile.size; py++) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    for (let px = 0; px < tile.size; px++) {
      const cx = tile.x + (px - tile.size / 2) * scale;
      const cy = tile.y + (py - tile.size / 2) * scale;
      let zx = 0;
      let zy = 0;
      let i = 0;
      while (i < tile.iterations && zx * zx + zy * zy < 4) {
        const t = zx * zx - zy * zy + cx;
        zy = 2 * zx * zy + cy;
        zx = t;
        i++;
      }
      const o = (py * tile.size + px) * 4;
      // Inside the set: dark. Outside: a gradient by how fast the point escaped.
      const t = i === tile.iterations ? 0 : Math.sqrt(i / tile.iterations);
      image.data[o] = Math.round(255 * Math.min(1, t * 2.2));
      image.data[o + 1] = Math.round(255 * t * t);
      image.data[o + 2] = Math.round(40 + 140 * t);
      image.data[o + 3] = 255;
    }
    if (py % 32 === 31) {
      ctx.progress({ done: py + 1, of: tile.size });
      await new Promise((resolve) => setTimeout(resolve, 0)); // let a cancel or a heartbeat in
    }
  }
  g.putImageData(image, 0, 0);
  const bytes = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return `data:image/png;base64,${btoa(binary)}`;
}

export const handlers = {
  tile: (p: Tile, ctx: { progress(value: { done: number; of: number }): void; signal: AbortSignal }) => renderTile(p, ctx),
  edge: edgeHandler({ baseUrl: self.location.origin, token: 'dev-token-change-me', fetch: demoFetch, dedupWindowMs: 24 * 60 * 60 * 1000 }),
};

hostScheduler({
  database: 'baton-demo',
  queues: { default: { concurrency: 2 } },
  leaseMs: 5_000,
  offlineRetryMs: 3_000,
  handlers,
});
