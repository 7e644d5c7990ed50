/**
 * The shapes a secret value takes when a task prints it: as is, and encoded the ways
 * build tools and people encode things on the way to a log (S15). Each form is what
 * the masker must never let through.
 */

/** Shorter values would mask ordinary words and numbers all over a log. */
export const MIN_MASKED_LENGTH = 4;

export function secretForms(value: string): string[] {
  if (value.length < MIN_MASKED_LENGTH) return [];
  const bytes = Buffer.from(value, 'utf8');
  const forms = new Set<string>([
    value,
    JSON.stringify(value).slice(1, -1),
    encodeURIComponent(value),
    // application/x-www-form-urlencoded writes spaces as `+`.
    encodeURIComponent(value).replace(/%20/g, '+'),
    bytes.toString('hex'),
    bytes.toString('hex').toUpperCase(),
    ...base64Forms(bytes),
  ]);
  return [...forms].filter((form) => form.length >= MIN_MASKED_LENGTH);
}

/**
 * base64 and base64url of the value on its own, and of the value inside a longer
 * encoded string (`echo "user:$TOKEN" | base64`): there it starts at one of three
 * byte offsets, and the characters that depend only on its own bytes are the same
 * whatever surrounds it.
 */
function base64Forms(bytes: Buffer): string[] {
  const forms: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const shifted = Buffer.concat([Buffer.alloc(offset), bytes]);
    const encoded = shifted.toString('base64');
    // Characters mixing the padding bytes with the value's are dropped at the start
    // (ceil(offset * 4 / 3)) and at the end wherever the value does not end a group.
    const start = Math.ceil((offset * 4) / 3);
    const fullGroupsEnd = Math.floor((shifted.length * 4) / 3);
    const core = encoded.slice(start, fullGroupsEnd);
    for (const text of offset === 0 ? [encoded, encoded.replace(/=+$/, ''), core] : [core]) {
      forms.push(text, text.replace(/\+/g, '-').replace(/\//g, '_'));
    }
  }
  return forms;
}

/** Every string leaf of a secret's value (and its JSON as a whole) that is worth masking. */
export function secretStrings(value: unknown): string[] {
  const found: string[] = [];
  const stack: unknown[] = [value];
  // Bounded: a secret is at most 64 KiB of JSON, far fewer nodes than this.
  for (let budget = 10_000; stack.length > 0 && budget > 0; budget--) {
    const item = stack.pop();
    if (typeof item === 'string') found.push(item);
    else if (typeof item === 'number') found.push(String(item));
    else if (Array.isArray(item)) stack.push(...(item as unknown[]));
    else if (typeof item === 'object' && item !== null)
      stack.push(...Object.values(item as Record<string, unknown>));
  }
  return found.filter((s) => s.length >= MIN_MASKED_LENGTH);
}
