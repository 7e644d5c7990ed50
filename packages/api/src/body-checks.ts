/** Deeper than any task, secret or role needs; far below what would strain a stack. */
export const MAX_BODY_DEPTH = 64;

/**
 * Refuses what the schemas cannot express: U+0000 anywhere (PostgreSQL text and jsonb
 * cannot hold it, so it would otherwise fail in SQL) and nesting deeper than
 * MAX_BODY_DEPTH (free-form fields such as a task's payload accept any object, and a
 * deeply nested one would exhaust the stack of a recursive walker or of the database's
 * jsonb parser). Iterative, so the check itself cannot overflow.
 */
export function findBodyProblem(body: unknown): string | undefined {
  const stack: { value: unknown; depth: number }[] = [{ value: body, depth: 0 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value, depth } = item;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return 'the request body must not contain the character U+0000';
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_BODY_DEPTH) {
      return `the request body must not be nested more than ${MAX_BODY_DEPTH} levels deep`;
    }
    if (Array.isArray(value)) {
      for (const element of value) stack.push({ value: element, depth: depth + 1 });
      continue;
    }
    for (const [key, element] of Object.entries(value)) {
      if (key.includes('\u0000')) return 'the request body must not contain the character U+0000';
      stack.push({ value: element, depth: depth + 1 });
    }
  }
  return undefined;
}
