/** A run of text in one style. Text is always rendered as text (React escapes it). */
export interface Segment {
  text: string;
  /** CSS classes for the style (`fg-31`, `bold`, ...); empty for plain text. */
  className: string;
}

interface Style {
  fg?: number;
  bg?: number;
  bold?: boolean;
  underline?: boolean;
}

// Any escape sequence: CSI (ESC [ ... final byte), OSC (ESC ] ... BEL or ESC \), or a
// two-character escape. Only SGR (CSI ... m) changes the style; the rest is dropped,
// so a task cannot move the cursor or retitle anything.
const ESCAPE = /\x1b(?:\[([0-9;?]*)([@-~])|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])/g;

function applySgr(style: Style, parameters: string): Style {
  const codes = parameters === '' ? [0] : parameters.split(';').map(Number);
  let next: Style = { ...style };
  for (let i = 0; i < codes.length; i += 1) {
    const code = codes[i]!;
    if (code === 0) next = {};
    else if (code === 1) next.bold = true;
    else if (code === 4) next.underline = true;
    else if (code === 22) next.bold = false;
    else if (code === 24) next.underline = false;
    else if ((code >= 30 && code <= 37) || (code >= 90 && code <= 97)) next.fg = code;
    else if (code === 39) delete next.fg;
    else if ((code >= 40 && code <= 47) || (code >= 100 && code <= 107)) next.bg = code;
    else if (code === 49) delete next.bg;
    else if (code === 38 || code === 48) i += codes[i + 1] === 5 ? 2 : 4; // 256/true colour: skipped
  }
  return next;
}

function classOf(style: Style): string {
  const classes: string[] = [];
  if (style.fg !== undefined) classes.push(`fg-${style.fg}`);
  if (style.bg !== undefined) classes.push(`bg-${style.bg}`);
  if (style.bold) classes.push('bold');
  if (style.underline) classes.push('underline');
  return classes.join(' ');
}

/**
 * Splits one line into styled segments. Style does not carry over between lines: each
 * line renders alone (the list is virtualized), as most CI log viewers do.
 */
export function parseAnsi(line: string): Segment[] {
  const segments: Segment[] = [];
  let style: Style = {};
  let last = 0;
  const push = (text: string) => {
    // Other control characters are shown, not obeyed.
    const visible = text.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '\ufffd');
    if (visible) segments.push({ text: visible, className: classOf(style) });
  };
  for (const match of line.matchAll(ESCAPE)) {
    push(line.slice(last, match.index));
    if (match[2] === 'm') style = applySgr(style, match[1] ?? '');
    last = match.index + match[0].length;
  }
  push(line.slice(last));
  return segments;
}
