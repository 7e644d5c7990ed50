/**
 * Parameterized role scopes. In a role whose id ends in `*`, `<..>` in a scope stands for
 * the part of the assumed role id matched by that `*`. Internally the placeholder is
 * replaced by a single character that no valid scope contains, so that templates can be
 * sorted, normalized and rewritten like ordinary scopes.
 */
export const ROLE_PARAMETER = '<..>';
export const PARAMETER_MARK = '\u001a';

/**
 * Fills the parameter of a template. A value ending in `*` is a wildcard that already
 * stands for every possible continuation, so it replaces everything from the parameter to
 * the end (`a:<..>:b` filled with `x*` gives `a:x*`, not `a:x*:b`).
 */
export function fillParameter(template: string, value: string): string {
  const at = template.indexOf(PARAMETER_MARK);
  const head = template.slice(0, at);
  return value.endsWith('*') ? head + value : head + value + template.slice(at + 1);
}

/** Fills every template with the same value; the result is in template order, not sorted. */
export function fillParameters(templates: readonly string[], value: string): string[] {
  return templates.map((template) => fillParameter(template, value));
}

/**
 * Rewrites a template so that filling it with `v` gives what the original gives when filled
 * with `text + v`. The text is inserted literally, never read as a wildcard.
 */
export function prependToParameter(template: string, text: string): string {
  const at = template.indexOf(PARAMETER_MARK);
  return template.slice(0, at) + text + template.slice(at);
}

/**
 * Rewrites a template so that filling it with `v` gives what the original gives when
 * filled with `v + text` (or, for a wildcard `v`, with `v` alone, which is how a wildcard
 * parameter swallows what follows it).
 */
export function appendToParameter(template: string, text: string): string {
  const at = template.indexOf(PARAMETER_MARK);
  const rest = text.endsWith('*') ? '' : template.slice(at + 1);
  return template.slice(0, at + 1) + text + rest;
}
