/** What a benchmark scenario returns: rows for the printed table, kept as-is in the JSON file. */
export type Cell = string | number;

export interface BenchReport {
  readonly title: string;
  /** One row per measurement; every row should carry its baseline's numbers or a ratio to it. */
  readonly rows: readonly Readonly<Record<string, Cell>>[];
  /** What was measured and how, printed under the table. */
  readonly notes?: readonly string[];
}

export type BenchScenario = () => Promise<BenchReport>;

/** Formats rows as an aligned text table (numbers right-aligned, up to 3 significant decimals). */
export function formatTable(rows: readonly Readonly<Record<string, Cell>>[]): string {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const text = (cell: Cell | undefined): string =>
    cell === undefined ? '' : typeof cell === 'number' ? formatNumber(cell) : cell;
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => text(r[c]).length)));
  const line = (cells: readonly string[], numeric: readonly boolean[]) =>
    cells
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ');
  const header = line(
    columns,
    columns.map(() => false),
  );
  const body = rows.map((row) =>
    line(
      columns.map((c) => text(row[c])),
      columns.map((c) => typeof row[c] === 'number'),
    ),
  );
  return [header, widths.map((w) => '-'.repeat(w)).join('  '), ...body].join('\n');
}

function formatNumber(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return value.toLocaleString('en-US', { maximumFractionDigits: 3 });
}
