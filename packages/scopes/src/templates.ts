import type { ScopeExpression } from './expressions.js';

/**
 * Scope-expression templates as API endpoints declare them, rendered per request:
 *  - a string, where `<name>` is replaced by the parameter `name` (a string or a number);
 *  - `{AllOf: [...]}` / `{AnyOf: [...]}` of templates;
 *  - `{for: 'x', in: 'xs', each: 'scope:<x>'}`, one scope per element of the array
 *    parameter `xs`, spliced into the enclosing AllOf / AnyOf (so only allowed there);
 *  - `{if: 'flag', then: template, else?: template}`, where `flag` must be a boolean; a
 *    false condition without `else` drops the clause.
 */
export type ScopeTemplate =
  | string
  | { AllOf: ScopeTemplate[] }
  | { AnyOf: ScopeTemplate[] }
  | { for: string; in: string; each: string }
  | { if: string; then: ScopeTemplate; else?: ScopeTemplate };

/** A template that is malformed, or parameters that are missing or of the wrong type. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
  /** Stable across releases, unlike the message (docs/errors.md, Internal errors). */
  readonly code = 'BULWARK_SCOPE_TEMPLATE';
}

const PLACEHOLDER = /<([a-zA-Z][a-zA-Z0-9_]*)>/g;
const PARAMETER_NAME = /^[a-zA-Z][a-zA-Z0-9_]*$/;

type Params = Readonly<Record<string, unknown>>;

type Clause =
  | { kind: 'scope'; text: string }
  | { kind: 'AllOf' | 'AnyOf'; members: readonly ScopeTemplate[] }
  | { kind: 'for'; variable: string; list: string; each: string }
  | { kind: 'if'; condition: string; then: ScopeTemplate; else: ScopeTemplate | undefined };

function hasExactKeys(
  value: object,
  required: readonly string[],
  optional: readonly string[] = [],
) {
  const keys = Object.keys(value);
  return (
    required.every((key) => keys.includes(key)) &&
    keys.every((key) => required.includes(key) || optional.includes(key))
  );
}

function parameterName(value: unknown, role: string): string {
  if (typeof value !== 'string' || !PARAMETER_NAME.test(value)) {
    throw new TemplateError(`scope template has an invalid ${role} parameter name`);
  }
  return value;
}

/** Checks the shape of one level of a template, which may have come from untyped data. */
function classify(template: ScopeTemplate): Clause {
  const value: unknown = template;
  if (typeof value === 'string') return { kind: 'scope', text: value };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TemplateError('scope template must be a string or an object');
  }
  const fields = value as Record<string, unknown>;
  for (const kind of ['AllOf', 'AnyOf'] as const) {
    if (hasExactKeys(value, [kind])) {
      const members = fields[kind];
      if (!Array.isArray(members)) throw new TemplateError(`${kind} must be an array`);
      return { kind, members: members as ScopeTemplate[] };
    }
  }
  if (hasExactKeys(value, ['for', 'in', 'each'])) {
    if (typeof fields.each !== 'string') {
      throw new TemplateError('the each of a for clause must be a string');
    }
    return {
      kind: 'for',
      variable: parameterName(fields.for, 'for'),
      list: parameterName(fields.in, 'in'),
      each: fields.each,
    };
  }
  if (hasExactKeys(value, ['if', 'then'], ['else'])) {
    return {
      kind: 'if',
      condition: parameterName(fields.if, 'if'),
      then: fields.then as ScopeTemplate,
      else: fields.else as ScopeTemplate | undefined,
    };
  }
  throw new TemplateError(`scope template has unexpected keys: ${Object.keys(value).join(', ')}`);
}

function substitute(text: string, params: Params): string {
  return text.replace(PLACEHOLDER, (_match, name: string) => {
    const value = Object.hasOwn(params, name) ? params[name] : undefined;
    if (typeof value === 'string') return value;
    if (typeof value === 'number') return String(value);
    throw new TemplateError(`scope template parameter '${name}' must be a string or a number`);
  });
}

/** A rendered clause: an expression, nothing (a dropped `if`), or scopes to splice (a `for`). */
type Rendered = ScopeExpression | null | { splice: string[] };

function render(template: ScopeTemplate, params: Params): Rendered {
  const clause = classify(template);
  switch (clause.kind) {
    case 'scope':
      return substitute(clause.text, params);
    case 'AllOf':
    case 'AnyOf': {
      const members: ScopeExpression[] = [];
      for (const member of clause.members) {
        const rendered = render(member, params);
        if (rendered === null) continue;
        if (typeof rendered === 'object' && 'splice' in rendered) members.push(...rendered.splice);
        else members.push(rendered);
      }
      return clause.kind === 'AllOf' ? { AllOf: members } : { AnyOf: members };
    }
    case 'for': {
      const list = Object.hasOwn(params, clause.list) ? params[clause.list] : undefined;
      if (!Array.isArray(list)) {
        throw new TemplateError(`scope template parameter '${clause.list}' must be an array`);
      }
      const splice = list.map((element: unknown) => {
        if (typeof element !== 'string' && typeof element !== 'number') {
          throw new TemplateError(
            `scope template parameter '${clause.list}' must hold strings or numbers`,
          );
        }
        return substitute(clause.each, { ...params, [clause.variable]: element });
      });
      return { splice };
    }
    case 'if': {
      const condition = Object.hasOwn(params, clause.condition)
        ? params[clause.condition]
        : undefined;
      if (typeof condition !== 'boolean') {
        throw new TemplateError(`scope template parameter '${clause.condition}' must be a boolean`);
      }
      if (condition) return renderWhole(clause.then, params);
      return clause.else === undefined ? null : renderWhole(clause.else, params);
    }
  }
}

/** Renders a template that stands on its own (the root, or a branch of an `if`). */
function renderWhole(template: ScopeTemplate, params: Params): ScopeExpression | null {
  const rendered = render(template, params);
  if (rendered !== null && typeof rendered === 'object' && 'splice' in rendered) {
    throw new TemplateError('a for clause is only allowed inside AllOf or AnyOf');
  }
  return rendered;
}

/**
 * Renders the template with the given parameters. Returns null when nothing is required
 * (the template was a false `if` without `else`). Throws TemplateError for malformed
 * templates and for missing or wrongly typed parameters.
 */
export function renderTemplate(template: ScopeTemplate, params: Params): ScopeExpression | null {
  return renderWhole(template, params);
}

/**
 * Every parameter the template reads: `<name>` placeholders, the arrays of `for` clauses
 * and the conditions of `if` clauses. The variable a `for` clause binds is not included
 * (unless the template also uses that name elsewhere). Throws TemplateError if malformed.
 */
export function templateParameters(template: ScopeTemplate): Set<string> {
  const names = new Set<string>();
  const placeholdersOf = (text: string): string[] =>
    Array.from(text.matchAll(PLACEHOLDER), (match) => match[1]!);
  const visit = (node: ScopeTemplate): void => {
    const clause = classify(node);
    switch (clause.kind) {
      case 'scope':
        for (const name of placeholdersOf(clause.text)) names.add(name);
        return;
      case 'AllOf':
      case 'AnyOf':
        clause.members.forEach(visit);
        return;
      case 'for':
        names.add(clause.list);
        for (const name of placeholdersOf(clause.each)) {
          if (name !== clause.variable) names.add(name);
        }
        return;
      case 'if':
        names.add(clause.condition);
        visit(clause.then);
        if (clause.else !== undefined) visit(clause.else);
        return;
    }
  };
  visit(template);
  return names;
}
