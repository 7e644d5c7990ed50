import { secretStrings } from '../logs/secret-forms.js';

/**
 * Hands every value of a secret in a secrets-service answer to the log masker (S15):
 * each string leaf and the whole value as JSON. Called before the answer is relayed,
 * so the task cannot print a value faster than the masker learns it.
 */
export function registerSecret(answer: unknown, onSecretValue: (value: string) => void): void {
  if (typeof answer !== 'object' || answer === null || !('secret' in answer)) return;
  const { secret } = answer;
  for (const value of secretStrings(secret)) onSecretValue(value);
  onSecretValue(JSON.stringify(secret));
}
