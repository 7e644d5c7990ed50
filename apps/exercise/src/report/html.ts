import type { ExerciseReport } from '../runner.js';
import type { AttackResult } from '../types.js';

const escape = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4em;vertical-align:top;text-align:left}
.BLOCKED{color:#1a7f37;font-weight:bold}.BREACHED{color:#fff;background:#cf222e;font-weight:bold}.INCONCLUSIVE{color:#9a6700;font-weight:bold}
pre{white-space:pre-wrap;background:#f6f8fa;padding:.5em;margin:.3em 0;max-height:20em;overflow:auto}
details summary{cursor:pointer}`;

function evidence(result: AttackResult): string {
  const e = result.evidence;
  const parts: string[] = [];
  if (e.request) parts.push(`<div>request: <code>${escape(e.request)}</code></div>`);
  if (e.status !== undefined) parts.push(`<div>answer: ${e.status} ${escape(e.code ?? '')}</div>`);
  if (e.taskId) parts.push(`<div>task: <code>${escape(e.taskId)}</code></div>`);
  if (e.logExcerpt) parts.push(`<pre>${escape(e.logExcerpt)}</pre>`);
  if (e.notes?.length) parts.push(`<pre>${escape(e.notes.join('\n'))}</pre>`);
  return parts.length === 0
    ? ''
    : `<details><summary>evidence</summary>${parts.join('')}</details>`;
}

/**
 * One self-contained HTML file: inline style, no script, no external URL, so it can be
 * archived by CI and opened anywhere.
 */
export function htmlReport(report: ExerciseReport): string {
  const rows = report.results
    .map(
      (r) =>
        `<tr><td class="${r.verdict}">${r.verdict}</td><td><code>${escape(r.id)}</code></td>` +
        `<td>${escape(r.title)}<br><small>${escape(r.invariants.join(', '))}</small></td>` +
        `<td>${escape(r.reason)}${evidence(r)}</td></tr>`,
    )
    .join('\n');
  const { blocked, breached, inconclusive } = report.summary;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bulwark exercise ${escape(report.runId)}</title>
<style>${STYLE}</style></head><body>
<h1>bulwark exercise ${escape(report.runId)}</h1>
<p>${escape(report.rootUrl)} · pool ${escape(report.pool)} · red team ${escape(report.redTeamClientId)} · ${escape(report.startedAt)} to ${escape(report.finishedAt)}</p>
${report.weakened.length > 0 ? `<p class="BREACHED">weakened for a test: ${escape(report.weakened.join(', '))}</p>` : ''}
<p><span class="BREACHED">${breached} breached</span> · <span class="BLOCKED">${blocked} blocked</span> · <span class="INCONCLUSIVE">${inconclusive} inconclusive</span></p>
${report.leftovers.length > 0 ? `<p class="BREACHED">not removed: ${escape(report.leftovers.join('; '))}</p>` : ''}
<table><thead><tr><th>verdict</th><th>attack</th><th>what</th><th>why</th></tr></thead><tbody>
${rows}
</tbody></table></body></html>
`;
}
