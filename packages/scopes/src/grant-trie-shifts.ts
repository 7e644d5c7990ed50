import { GrantNode, grantsFor, leafNode } from './grant-trie.js';
import { appendToParameter, prependToParameter } from './role-parameter.js';
import { NO_SCOPES, ScopeCollector, unionOf } from './scope-collector.js';
import { sortAndNormalize } from './scope-order.js';

/**
 * Tries describing what a parameterized role scope `head<..>tail` leads to, as a function
 * of the parameter. Reading the parameter from the resulting trie grants what reading the
 * filled scope from the original trie grants, so a role's node can hold the complete
 * consequences of its parameterized scopes, and expansion stays a single walk.
 */

function prependedTemplates(templates: readonly string[], text: string): readonly string[] {
  if (templates.length === 0) return NO_SCOPES;
  return sortAndNormalize(templates.map((template) => prependToParameter(template, text)));
}

function appendedTemplates(templates: readonly string[], text: string): readonly string[] {
  if (templates.length === 0) return NO_SCOPES;
  return sortAndNormalize(templates.map((template) => appendToParameter(template, text)));
}

/**
 * A trie that grants for input `v` what `trie` grants for `prefix + v`. The prefix is read
 * character by character, never as a wildcard; so the equivalence does not hold for an
 * empty `v` after a prefix ending in `*`, a combination role validation forbids
 * (`*<..>` at the end of a scope).
 */
export function afterPrefix(trie: GrantNode, prefix: string): GrantNode {
  const onReach = new ScopeCollector();
  const onReachFilled = new ScopeCollector();
  let node = trie;
  let position = 0;
  while (position < prefix.length) {
    // Nodes along the prefix are passed through; their templates are filled with the rest
    // of the prefix followed by whatever the new trie will read.
    onReach.add(node.onReach);
    onReachFilled.add(prependedTemplates(node.onReachFilled, prefix.slice(position)));
    const edge = node.edgeStartingWith(prefix[position]!);
    if (edge < 0) break;
    const label = node.labels[edge]!;
    const child = node.children[edge]!;
    const remaining = prefix.length - position;
    if (remaining < label.length) {
      // The prefix ends inside the edge: the new root sits there, before the rest of it.
      if (!label.startsWith(prefix.slice(position))) break;
      return new GrantNode(
        NO_SCOPES,
        onReach.result(),
        onReachFilled.result(),
        NO_SCOPES,
        [label.slice(remaining)],
        [child],
      );
    }
    if (!prefix.startsWith(label, position)) break;
    position += label.length;
    node = child;
  }
  if (position < prefix.length) {
    return leafNode({ onReach: onReach.result(), onReachFilled: onReachFilled.result() });
  }
  return new GrantNode(
    node.onEnd,
    unionOf(onReach.result(), node.onReach),
    unionOf(onReachFilled.result(), node.onReachFilled),
    node.onWildcardEnd,
    node.labels,
    node.children,
  );
}

/**
 * What reading the plain input `suffix` grants from inside the edge `label` to `child`,
 * `cut` characters into it.
 */
function grantsFromInsideEdge(
  label: string,
  cut: number,
  child: GrantNode,
  suffix: string,
): readonly string[] {
  const wildcard = suffix.endsWith('*');
  const pathLength = wildcard ? suffix.length - 1 : suffix.length;
  // Cheap rejection first: most positions differ from the suffix at once.
  if (pathLength > 0 && label[cut] !== suffix[0]) return NO_SCOPES;
  const rest = label.slice(cut);
  if (pathLength >= rest.length) {
    return suffix.startsWith(rest) ? grantsFor(child, suffix.slice(rest.length)) : NO_SCOPES;
  }
  return wildcard && rest.startsWith(suffix.slice(0, pathLength))
    ? child.wildcardGrants()
    : NO_SCOPES;
}

/**
 * A trie that grants for a plain input `v` what `trie` grants for `v + suffix`, and for a
 * wildcard input `v` what `trie` grants for `v` (a wildcard parameter swallows the rest of
 * the scope). For wildcard inputs the result may also hold scopes that others in it
 * already satisfy; normalization removes them.
 *
 * Every position keeps its meaning: passing through it means passing through the same
 * position of the original trie, and ending at it means reading the suffix on from there.
 * Positions inside edges from which the suffix reaches something get nodes of their own.
 */
export function beforeSuffix(trie: GrantNode, suffix: string): GrantNode {
  const done = new Map<GrantNode, GrantNode>();

  /** The edge `label` to `child`, split where ending inside it grants something. */
  const shiftEdge = (label: string, child: GrantNode): { label: string; node: GrantNode } => {
    let node = shift(child);
    let end = label.length;
    for (let cut = label.length - 1; cut > 0; cut--) {
      const onEnd = grantsFromInsideEdge(label, cut, child, suffix);
      if (onEnd.length === 0) continue;
      node = new GrantNode(onEnd, NO_SCOPES, NO_SCOPES, NO_SCOPES, [label.slice(cut, end)], [node]);
      end = cut;
    }
    return { label: label.slice(0, end), node };
  };

  const shift = (node: GrantNode): GrantNode => {
    const existing = done.get(node);
    if (existing !== undefined) return existing;
    const edges = node.labels.map((label, edge) => shiftEdge(label, node.children[edge]!));
    const shifted = new GrantNode(
      grantsFor(node, suffix),
      node.onReach,
      appendedTemplates(node.onReachFilled, suffix),
      // A wildcard ending here in the new trie ends here in the old one too.
      unionOf(node.onEnd, node.onWildcardEnd),
      edges.map((edge) => edge.label),
      edges.map((edge) => edge.node),
    );
    done.set(node, shifted);
    return shifted;
  };

  return shift(trie);
}
