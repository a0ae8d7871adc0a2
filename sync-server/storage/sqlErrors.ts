/**
 * True when `error` is a unique (or primary key) violation, on either engine: better-sqlite3
 * names it in `code` (`SQLITE_CONSTRAINT_UNIQUE`, `…_PRIMARYKEY`), PostgreSQL by SQLSTATE 23505.
 * Checking first and inserting after is not enough on PostgreSQL, where two requests run at once:
 * the constraint decides, and this tells its refusal from a real failure.
 */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === '23505' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}
