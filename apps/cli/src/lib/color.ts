/**
 * Whether to style output for a terminal: only on one, and never when the user said
 * no (NO_COLOR, https://no-color.org, or --no-color, which sets it).
 */
export function colorEnabled(stream: NodeJS.WriteStream): boolean {
  return stream.isTTY === true && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
}

export function bold(text: string, stream: NodeJS.WriteStream = process.stdout): string {
  return colorEnabled(stream) ? `\u001b[1m${text}\u001b[0m` : text;
}
