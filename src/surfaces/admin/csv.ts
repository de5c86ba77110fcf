// CSV for admin exports (RFC 4180): a header row of the column names, fields quoted when they
// hold a comma, quote or line break. Text that a spreadsheet would run as a formula (=, +, -, @)
// gets a leading apostrophe: a prompt or a key name must never execute in finance's spreadsheet.
const FORMULA = /^[=+\-@\t\r]/;

function field(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return String(value);
  let text = String(value);
  if (FORMULA.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(rows: readonly object[], columns: readonly string[]): string {
  const lines = [columns.join(',')];
  for (const row of rows) lines.push(columns.map((c) => field((row as Record<string, unknown>)[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
