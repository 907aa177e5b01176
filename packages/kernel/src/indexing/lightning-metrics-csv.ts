/** A `metrics.csv` as Lightning's CSVLogger writes it: a header, then one sparse row per log call. */
export interface MetricsTable {
  /** Column names, as in the header. */
  readonly columns: readonly string[];
  /** Rows: one cell per column, empty where that call did not log the column. */
  readonly rows: readonly (readonly string[])[];
}

/**
 * Splits CSV text into records (RFC 4180: quoted cells may hold commas, quotes and newlines).
 * @throws Error when a quote is left open.
 */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let cell = '';
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const character = text[index] as string;
    if (quoted) {
      if (character === '"' && text[index + 1] === '"') {
        cell += '"';
        index++;
      } else if (character === '"') quoted = false;
      else cell += character;
    } else if (character === '"' && cell === '') quoted = true;
    else if (character === ',') {
      record.push(cell);
      cell = '';
    } else if (character === '\n' || character === '\r') {
      if (character === '\r' && text[index + 1] === '\n') index++;
      record.push(cell);
      records.push(record);
      record = [];
      cell = '';
    } else cell += character;
  }
  if (quoted) throw new Error('a quoted cell is never closed');
  if (cell !== '' || record.length > 0) {
    record.push(cell);
    records.push(record);
  }
  return records.filter((row) => !(row.length === 1 && row[0] === ''));
}

/**
 * Reads a CSVLogger file.
 * @throws Error when it has no header, a row has more cells than the header, or a column
 *   name repeats.
 */
export function parseMetricsCsv(text: string): MetricsTable {
  const [header, ...rows] = parseCsv(text);
  if (header === undefined || header.every((name) => name.trim() === '')) {
    throw new Error('it has no header row');
  }
  const columns = header.map((name) => name.trim());
  if (new Set(columns).size !== columns.length) throw new Error('a column name repeats');
  rows.forEach((row, index) => {
    if (row.length > columns.length) {
      throw new Error(
        `row ${index + 2} has ${row.length} cells but the header names ${columns.length} columns`,
      );
    }
  });
  // Rows written before a column existed are shorter (older Lightning appended columns).
  return { columns, rows: rows.map((row) => columns.map((_, index) => row[index] ?? '')) };
}

/** Where a checkpoint sits in training, to pick its rows. */
export interface TrainingPosition {
  readonly step?: number;
  readonly epoch?: number;
}

/** The metrics a checkpoint was taken with, and which rows they came from. */
export interface CheckpointMetrics {
  readonly metrics: Record<string, number>;
  /** `step` when rows of the checkpoint's step answered, `epoch` when its epoch's did. */
  readonly matchedBy?: 'step' | 'epoch';
}

/**
 * The metrics logged at the checkpoint's step: the last value of each column over the rows of
 * that step; when no row has that step (validation often logs one step before or after the
 * save), over the rows of its epoch. `epoch` and `step` are positions, not metrics.
 * Cells that are not finite numbers are left out.
 */
export function metricsAt(table: MetricsTable, position: TrainingPosition): CheckpointMetrics {
  const stepColumn = table.columns.indexOf('step');
  const epochColumn = table.columns.indexOf('epoch');
  const rowsWhere = (column: number, value: number | undefined) =>
    column < 0 || value === undefined
      ? []
      : table.rows.filter((row) => {
          const cell = row[column] ?? '';
          return cell.trim() !== '' && Number(cell) === value;
        });
  let matchedBy: 'step' | 'epoch' | undefined = 'step';
  let rows = rowsWhere(stepColumn, position.step);
  if (rows.length === 0) {
    matchedBy = 'epoch';
    rows = rowsWhere(epochColumn, position.epoch);
  }
  if (rows.length === 0) return { metrics: {} };
  const metrics: Record<string, number> = {};
  table.columns.forEach((name, column) => {
    if (column === stepColumn || column === epochColumn || name === '') return;
    for (const row of rows) {
      const cell = (row[column] ?? '').trim();
      const value = cell === '' ? Number.NaN : Number(cell);
      if (Number.isFinite(value)) metrics[name] = value;
    }
  });
  return { metrics, matchedBy };
}
