import type { Node } from './node.js';

/**
 * Resolves a constraint/affinity/spread target against a node, as Nomad's `resolveTarget` does:
 * `${node.unique.id}`, `${node.unique.name}`, `${node.datacenter}`, `${node.class}`,
 * `${attr.<name>}`, `${meta.<name>}`; anything without `${` is a literal. Returns `undefined`
 * when the node does not have the attribute (so `is_set` fails and comparisons fail).
 */
export function resolveTarget(target: string, node: Node): string | undefined {
  if (!target.startsWith('${')) return target;
  switch (target) {
    case '${node.unique.id}':
      return node.id;
    case '${node.unique.name}':
      return node.name;
    case '${node.datacenter}':
      return node.datacenter;
    case '${node.class}':
      return node.nodeClass;
  }
  if (!target.endsWith('}')) return undefined;
  if (target.startsWith('${attr.')) return node.attributes[target.slice(7, -1)];
  if (target.startsWith('${meta.')) return node.meta[target.slice(7, -1)];
  return undefined;
}

/** True when `target` is one of the interpolations {@link resolveTarget} understands, or a literal. */
export function isKnownTarget(target: string): boolean {
  if (!target.startsWith('${')) return true;
  if (['${node.unique.id}', '${node.unique.name}', '${node.datacenter}', '${node.class}'].includes(target)) return true;
  return /^\$\{(attr|meta)\.[^}]+\}$/.test(target);
}
