import { DependencyCycleError } from './errors.ts';

/**
 * Finds a cycle among `nodes` (name → names it depends on) and throws a
 * `DependencyCycleError` that names it. Edges to names outside `nodes` are
 * existing jobs, which cannot depend on new ones, so they close no cycle.
 * Iterative, so a long chain cannot overflow the stack.
 */
export function assertAcyclic(nodes: ReadonlyMap<string, readonly string[]>): void {
  const done = new Set<string>();
  const onPath = new Set<string>();
  for (const root of nodes.keys()) {
    if (done.has(root)) continue;
    const path: string[] = [root];
    const next: number[] = [0];
    onPath.add(root);
    while (path.length > 0) {
      const top = path.length - 1;
      const node = path[top]!;
      const edges = nodes.get(node)!;
      const i = next[top]!;
      if (i === edges.length) {
        path.pop();
        next.pop();
        onPath.delete(node);
        done.add(node);
        continue;
      }
      next[top] = i + 1;
      const dep = edges[i]!;
      if (!nodes.has(dep) || done.has(dep)) continue;
      if (onPath.has(dep)) throw new DependencyCycleError([...path.slice(path.indexOf(dep)), dep]);
      path.push(dep);
      next.push(0);
      onPath.add(dep);
    }
  }
}
