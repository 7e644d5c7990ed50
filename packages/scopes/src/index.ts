export { hasDoubleStarSuffix, isValidScope } from './validity.js';
export { patternMatch, satisfiesScope } from './satisfaction.js';
export { normalizeScopeSet, scopeCompare, sortAndNormalize } from './scope-order.js';
export { mergeScopeSets, scopeIntersection, scopeUnion } from './scope-sets.js';
export type { ScopeExpression } from './expressions.js';
export {
  isScopeExpression,
  removeGivenScopes,
  satisfiesExpression,
  scopesSatisfying,
} from './expressions.js';
export type { ScopeTemplate } from './templates.js';
export { renderTemplate, templateParameters, TemplateError } from './templates.js';
export type { Role } from './role-errors.js';
export { DependencyCycleError, InvalidScopeError } from './role-errors.js';
export { validateRoles } from './role-validation.js';
export { RoleIndex } from './role-index.js';
export { expandScopesNaive } from './naive-expansion.js';
