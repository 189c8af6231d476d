import { PRIORITY_LEVELS } from './job.ts';

const names = new Map<string, readonly string[]>();

/**
 * The name of a queue's priority class (`queue\u0000priority`), one string
 * per class made once: the claim pass asks for it several times per start.
 */
export function className(queue: string, priority: number): string {
  let byPriority = names.get(queue);
  if (byPriority === undefined) {
    byPriority = Array.from({ length: PRIORITY_LEVELS }, (_, p) => `${queue}\u0000${p}`);
    names.set(queue, byPriority);
  }
  return byPriority[priority] ?? `${queue}\u0000${priority}`;
}
