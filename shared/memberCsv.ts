import Papa from 'papaparse';
import { isSiteId } from './docName';
import { isLocalDay } from './localTime';
import {
  accessText,
  checkMember,
  MAX_ACCESS_SITES,
  MEMBER_STATUSES,
  type Member,
  type MemberStatus,
  parseAccess,
} from './member';

/**
 * Members as a CSV file, for the staff dashboard: reading a file into members and problems a
 * front-desk worker can fix, and writing members out. Pure: the server decides what an import
 * changes (its preview, [M1]) and checks what only it knows (codes unique in the chain, sites
 * that exist, who may change whom: [M4]).
 *
 * Spreadsheets run a cell that starts with `=`, `+`, `-`, `@`, tab or CR as a formula, so the
 * export puts a `'` before such a cell (what spreadsheets themselves do to mean "text"). To make
 * that reversible, a cell that already starts with `'`s followed by one of those characters gets
 * one more `'`, and reading removes exactly one `'` from a cell of that shape. So a name that
 * really starts with `'-` survives export and import, and so does a hand-typed `'=x` written
 * as `''=x`; a hand-typed `'-x` is read as `-x`.
 */

/** The columns a file may have, in the order the export writes them. */
export const MEMBER_CSV_COLUMNS = [
  'id',
  'name',
  'status',
  'valid_until',
  'codes',
  'home_site',
  'access',
] as const;
type Column = (typeof MEMBER_CSV_COLUMNS)[number];
const REQUIRED_COLUMNS: readonly Column[] = ['id', 'name'];

/**
 * Most members one file imports: 100 000. Twice a large chain's roster ([M4]: a chain imports
 * in one file, sent to the server in batches), low enough that a wrong file (a 50 MB log) stops
 * early instead of filling the screen with errors.
 */
export const MAX_IMPORT_ROWS = 100_000;

export interface MemberCsvRow {
  /** 1-based line in the file where the record starts (the header is line 1). */
  readonly line: number;
  readonly member: Member;
}

export interface MemberCsvError {
  readonly line: number;
  /** Says what to fix in the file, for example `status "paused" is not one of …`. */
  readonly reason: string;
}

export interface MemberCsvParse {
  readonly rows: MemberCsvRow[];
  readonly errors: MemberCsvError[];
  /** Things ignored that the user may want to know, such as unknown columns. */
  readonly warnings: string[];
  /** The header cells as written (trimmed), empty when the file has no header. */
  readonly header: string[];
}

export interface MemberCsvOptions {
  /**
   * The home of a member whose line names none (a file without `home_site`, or an empty cell):
   * the site the dashboard shows ([M4]).
   */
  readonly homeSite: string;
}

// Matches `checkMember`'s id rule; kept here to tell a duplicate id from a malformed one.
const ID_CHARS = /^[A-Za-z0-9_.-]+$/;
const DAY_SHAPE = /^\d{4}-\d{2}-\d{2}$/;
const CODE_SEPARATOR = /[;|]/;
const FORMULA_START = /^'*[=+\-@\t\r]/;
const ESCAPED_FORMULA = /^'+[=+\-@\t\r]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: they are what it finds.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Reads a members CSV file; never throws, whatever the text. */
export function parseMemberCsv(text: string, options: MemberCsvOptions): MemberCsvParse {
  // All BOMs, not one: Papa strips one itself, which would shift its offsets against ours.
  const source = (typeof text === 'string' ? text : '').replace(/^\uFEFF+/, '');
  const result: MemberCsvParse = { rows: [], errors: [], warnings: [], header: [] };
  const delimiter = guessDelimiter(source);
  const lineAt = lineCounter(source);
  let recordStart = 0;
  let columns: ReadonlyMap<Column, number> | undefined;
  let dataRows = 0;
  const idLines = new Map<string, number>();
  const codeLines = new Map<string, number>();
  const fail = (line: number, reason: string) => result.errors.push({ line, reason });

  // Rows one at a time, without Papa's header or blank-line handling: each step's cursor is where
  // the next record starts, which gives real line numbers even after multi-line quoted values.
  Papa.parse<string[]>(source, {
    delimiter,
    step: (step, parser) => {
      const line = lineAt(recordStart);
      recordStart = step.meta.cursor;
      const cells = step.data;
      if (cells.every((cell) => cell.trim() === '')) return;
      if (!columns) {
        result.header.push(...cells.map((cell) => cell.trim()));
        const header = readHeader(cells);
        if ('reason' in header) {
          fail(line, header.reason);
          parser.abort();
          return;
        }
        columns = header.columns;
        result.warnings.push(...header.warnings);
        return;
      }
      dataRows += 1;
      if (dataRows > MAX_IMPORT_ROWS) {
        fail(
          line,
          `the file has more than ${MAX_IMPORT_ROWS} members; this line and the ones after it were not read`,
        );
        parser.abort();
        return;
      }
      const id = cellOf(cells, columns, 'id');
      const earlier = idLines.get(id);
      if (earlier === undefined && ID_CHARS.test(id)) idLines.set(id, line);
      const read =
        quoteProblem(step.errors) ??
        extraCellsProblem(cells, result.header.length, delimiter) ??
        (earlier === undefined
          ? readMember(cells, columns, options.homeSite)
          : `the same id as line ${earlier}`);
      // A card code on two members would check in whichever the kiosk happens to find first.
      const shared =
        typeof read === 'string' ? undefined : read.codes.find((c) => codeLines.has(c));
      if (typeof read === 'string') fail(line, read);
      else if (shared !== undefined)
        fail(line, `code ${quoted(shared)} is already on line ${codeLines.get(shared)}`);
      else {
        for (const code of read.codes) codeLines.set(code, line);
        result.rows.push({ line, member: read });
      }
    },
  });
  if (!columns && result.errors.length === 0) fail(1, 'the file is empty');
  return result;
}

/**
 * Members as CSV, sorted by id so two exports compare line by line; reads back with
 * `parseMemberCsv` ([M3]). Codes are joined with `;`, so a code containing `;` or `|`, and a name
 * or code with spaces at either end, do not come back exactly.
 */
export function membersToCsv(members: Iterable<Member>): string {
  const sorted = [...members].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return Papa.unparse(
    {
      fields: [...MEMBER_CSV_COLUMNS],
      data: sorted.map((m) => [
        m.id,
        m.name,
        m.status,
        m.validUntil ?? '',
        m.codes.join(';'),
        m.homeSite,
        accessText(m.access),
      ]),
    },
    // Not `escapeFormulae: true`: Papa's own pattern, /^[=+\-@\t\r].*$/, misses a formula
    // followed by a line break ("=HYPERLINK(…)\nx"), because `.` stops at the break.
    { escapeFormulae: FORMULA_START },
  );
}

/** `,` unless the file is clearly `;`-separated (Excel in much of Europe writes `;`). */
function guessDelimiter(source: string): string {
  const guess = Papa.parse<string[]>(source, {
    delimitersToGuess: [',', ';'],
    skipEmptyLines: 'greedy',
    preview: 10,
  });
  return guess.meta.delimiter === ';' ? ';' : ',';
}

/** Maps an offset in `source` to its 1-based line; offsets must not go backwards. */
function lineCounter(source: string): (offset: number) => number {
  let line = 1;
  let at = 0;
  return (offset) => {
    for (; at < offset; at++) {
      const char = source.charCodeAt(at);
      // \n, \r\n and a lone \r each end a line, as in a text editor.
      if (char === 10 || (char === 13 && source.charCodeAt(at + 1) !== 10)) line += 1;
    }
    return line;
  };
}

type Header =
  | { readonly columns: ReadonlyMap<Column, number>; readonly warnings: string[] }
  | { readonly reason: string };

function readHeader(cells: readonly string[]): Header {
  const columns = new Map<Column, number>();
  const warnings: string[] = [];
  for (const [index, cell] of cells.entries()) {
    const name = cell.trim().toLowerCase();
    const column = MEMBER_CSV_COLUMNS.find((known) => known === name);
    if (column === undefined) {
      warnings.push(
        name === ''
          ? `column ${index + 1} has no name and was ignored`
          : `column ${quoted(cell.trim())} is not used and was ignored`,
      );
    } else if (columns.has(column)) {
      return { reason: `the column "${column}" appears twice in the first line` };
    } else columns.set(column, index);
  }
  const missing = REQUIRED_COLUMNS.filter((column) => !columns.has(column));
  if (missing.length > 0) {
    const names = missing.map((column) => `"${column}"`).join(' and ');
    return {
      reason: `the first line has no ${names} column${missing.length > 1 ? 's' : ''}; it must name the columns: id, name and optionally ${MEMBER_CSV_COLUMNS.slice(2).join(', ')}`,
    };
  }
  return { columns, warnings };
}

/** The cell's text: trimmed, and without the `'` the export put before a formula-like value. */
function cellOf(cells: readonly string[], columns: ReadonlyMap<Column, number>, column: Column) {
  const index = columns.get(column);
  const raw = (index === undefined ? '' : (cells[index] ?? '')).trim();
  return (ESCAPED_FORMULA.test(raw) ? raw.slice(1) : raw).trim();
}

function quoteProblem(errors: readonly Papa.ParseError[]): string | undefined {
  if (errors.some((error) => error.code === 'MissingQuotes'))
    return 'a value starts with " but never ends with one, so the lines after it were read as part of that value';
  if (errors.length > 0)
    return 'a value in quotes has more text after its closing "; a " inside a value must be written as ""';
  return undefined;
}

function extraCellsProblem(
  cells: readonly string[],
  width: number,
  delimiter: string,
): string | undefined {
  // Blank cells past the last column are what some spreadsheets write; text there means a value
  // with the separator in it was not quoted, and every column after it is shifted. Fewer cells
  // are fine: the missing ones are empty.
  if (cells.slice(width).every((cell) => cell.trim() === '')) return undefined;
  return `has more values than the first line has columns; a value containing "${delimiter}" must be in quotes`;
}

/** The member a data line describes, or why it does not describe one. */
function readMember(
  cells: readonly string[],
  columns: ReadonlyMap<Column, number>,
  defaultHome: string,
): Member | string {
  const id = cellOf(cells, columns, 'id');
  if (id === '') return 'id is empty';
  if (id.length > 64) return 'id is longer than 64 characters';
  if (!ID_CHARS.test(id))
    return `id ${quoted(id)} may only contain letters, digits, ".", "_" and "-"`;
  const name = cellOf(cells, columns, 'name');
  if (name === '') return 'name is empty';
  if (name.length > 120) return `name is ${name.length} characters long; at most 120 are allowed`;
  // Members may not hold control characters (`checkMember`); a line break in a name is the
  // usual one, from a cell edited in a spreadsheet.
  if (CONTROL.test(name)) return 'name contains a line break or another control character';
  const statusCell = cellOf(cells, columns, 'status');
  const status = (statusCell || 'active').toLowerCase();
  if (!MEMBER_STATUSES.includes(status as MemberStatus))
    return `status ${quoted(statusCell)} is not one of ${MEMBER_STATUSES.join(', ')}`;
  const validUntil = cellOf(cells, columns, 'valid_until') || null;
  if (validUntil !== null && !DAY_SHAPE.test(validUntil))
    return `valid_until ${quoted(validUntil)} is not a date written as YYYY-MM-DD, such as 2025-12-31`;
  if (validUntil !== null && !isLocalDay(validUntil))
    return `valid_until ${quoted(validUntil)} is not a day of the calendar`;
  const codes = [
    ...new Set(
      cellOf(cells, columns, 'codes')
        .split(CODE_SEPARATOR)
        .map((code) => code.trim())
        .filter((code) => code !== ''),
    ),
  ];
  if (codes.length > 10) return `has ${codes.length} codes; at most 10 are allowed`;
  const long = codes.find((code) => code.length > 64);
  if (long !== undefined) return `code ${quoted(long)} is longer than 64 characters`;
  const control = codes.find((code) => CONTROL.test(code));
  if (control !== undefined)
    return `code ${quoted(control)} contains a line break or another control character`;
  // Site ids are lower-case slugs; a spreadsheet user may well type "Riverside".
  const homeCell = cellOf(cells, columns, 'home_site');
  const homeSite = homeCell.toLowerCase() || defaultHome;
  if (!isSiteId(homeSite))
    return `home_site ${quoted(homeCell)} is not a site id (lower-case letters, digits and "-")`;
  const accessCell = cellOf(cells, columns, 'access');
  const access = parseAccess(accessCell);
  if (access === null)
    return `access ${quoted(accessCell)} is not "home", "all" or up to ${MAX_ACCESS_SITES} site ids separated by spaces`;
  const member: Member = {
    id,
    name,
    codes,
    status: status as MemberStatus,
    validUntil,
    homeSite,
    access,
  };
  // The shared rule has the last word, should it ever be stricter than the checks above.
  return checkMember(member) ?? member;
}

/** A value from the file, quoted and cut short so one huge cell cannot flood the message. */
function quoted(value: string): string {
  return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
}
