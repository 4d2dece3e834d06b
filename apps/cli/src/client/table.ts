/** kubectl's table layout: upper-case headers, columns three spaces apart, `<none>` for empty cells. */
export function formatTable(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string>>): string {
  const cells = [headers.map((h) => h.toUpperCase()), ...rows.map((row) => row.map((c) => (c === '' ? '<none>' : c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  return `${cells.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('   ')).join('\n')}\n`;
}

/** kubectl's ages: 45s, 12m, 5h, 3d. */
export function age(from: string | null | undefined, now = Date.now()): string {
  if (!from) return '';
  const seconds = Math.max(0, Math.floor((now - Date.parse(from)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

export function labelsText(labels: Record<string, string> | null | undefined): string {
  return Object.entries(labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** `env=prod,tier!=web,team`: kubectl's equality-based label selectors. */
export function matchesSelector(labels: Record<string, string>, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector
    .split(',')
    .map((term) => term.trim())
    .filter(Boolean)
    .every((term) => {
      const notEqual = term.split('!=');
      if (notEqual.length === 2) return labels[(notEqual[0] ?? '').trim()] !== (notEqual[1] ?? '').trim();
      const equal = term.split(/==?/);
      if (equal.length === 2) return labels[(equal[0] ?? '').trim()] === (equal[1] ?? '').trim();
      return term.startsWith('!') ? !(term.slice(1) in labels) : term in labels;
    });
}
