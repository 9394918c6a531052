import type { CompiledQuery, Kysely, RawBuilder } from 'kysely'

/** What the schema editor needs to know of a field to choose its column type. */
export interface ColumnDescription {
  /** Django's internal type name: 'CharField', 'BigIntegerField', 'JSONField'… */
  readonly internalType: string
  readonly maxLength?: number | undefined
  readonly maxDigits?: number | undefined
  readonly decimalPlaces?: number | undefined
}

/** Capabilities that differ between databases. Code above the backends asks these, never the vendor. */
export interface BackendFeatures {
  /** `INSERT … RETURNING` gives back generated keys. */
  readonly canReturnRowsFromInsert: boolean
  /** A multi-row `INSERT … RETURNING` gives back every generated key. */
  readonly canReturnRowsFromBulkInsert: boolean
  /** `DELETE … RETURNING` gives back the deleted rows' columns. */
  readonly canReturnRowsFromDelete: boolean
  /** `SELECT … FOR UPDATE` locks rows. */
  readonly hasSelectForUpdate: boolean
  /** CREATE TABLE runs inside a transaction and rolls back with it. */
  readonly canRollbackDdl: boolean
  /** Foreign keys can be declared inline in CREATE TABLE only (no ALTER TABLE ADD CONSTRAINT). */
  readonly inlineForeignKeys: boolean
  /** Longest identifier (table, index, constraint name) the database accepts. */
  readonly maxNameLength: number
  /** Most bound parameters one statement may carry. */
  readonly maxQueryParams: number
}

/** The internal types whose strings and numbers a backend's adaptValue may change (the others it binds as they are). */
export const typesAdaptingPlainValues: ReadonlySet<string> = new Set(['BooleanField', 'DateTimeField', 'UUIDField'])

/** A function that turns a raw driver value into the value a field expects, or undefined for "as is". */
export type ValueConverter = (value: unknown) => unknown

/** Pattern lookups that need dialect-specific SQL. */
export type PatternKind = 'contains' | 'startswith' | 'endswith'

/**
 * One configured database: a Kysely instance plus what differs between dialects. Everything
 * dialect-specific lives behind this interface, so the rest of the model layer never names a
 * vendor.
 */
export interface DatabaseBackend {
  /** The alias given in `setup({ databases })`. */
  readonly alias: string
  /** The vendor name, for messages and for code under `src/db/backends/` only. */
  readonly vendor: string
  /** The URL with its password masked. */
  readonly displayUrl: string
  readonly kysely: Kysely<any>
  readonly features: BackendFeatures

  /** The column type (without NULL / PRIMARY KEY) for a field. */
  columnType(column: ColumnDescription): string
  /** The full column definition of an auto-incrementing primary key. */
  autoPrimaryKeyDefinition(internalType: 'AutoField' | 'BigAutoField'): string
  /** Extra text after the closing parenthesis of CREATE TABLE. */
  readonly tableSuffix: string
  /** What follows `INSERT INTO t` for a row of defaults only. */
  readonly emptyInsertSql: string
  /** The clause that makes a foreign key constraint checked at commit, where supported. */
  readonly deferrableSql: string

  /**
   * Converts a JavaScript value to what the driver should bind for a column of this type. Strings
   * and safe integers are bound unchanged for every type but those of `typesAdaptingPlainValues`:
   * bulk writes skip this call for the values a field describes as `plainBinding()`.
   */
  adaptValue(internalType: string, value: unknown): unknown
  /** A function converting what the driver returns for this type, or undefined when nothing is needed. */
  converter(internalType: string): ValueConverter | undefined
  /** The select expression for a column: some types must be read back as text to keep precision. */
  selectColumn(internalType: string, column: RawBuilder<unknown>): RawBuilder<unknown>

  /** A Unicode-aware lower-casing of an expression. */
  lower(expression: RawBuilder<unknown>): RawBuilder<unknown>
  /** A case-sensitive pattern match of `expression` against the literal text `value`. */
  patternMatch(kind: PatternKind, expression: RawBuilder<unknown>, value: string, caseInsensitive: boolean): RawBuilder<unknown>

  /** LIMIT / OFFSET in this dialect's spelling (an offset without a limit needs care on some). */
  limitOffset(limit: number | undefined, offset: number): RawBuilder<unknown>

  /**
   * An expression as the text a text column would store for the same value (an integer as its
   * digits, a UUID dashed): how a text object id is compared with a typed primary key.
   */
  castToText(expression: RawBuilder<unknown>, internalType: string): RawBuilder<unknown>

  /** `expression IN (values)` with the values bound as one parameter, where the dialect can. */
  inList?(expression: RawBuilder<unknown>, values: readonly unknown[], column: ColumnDescription): RawBuilder<unknown> | undefined

  /** A regular-expression match of an expression against a pattern. */
  regexMatch(expression: RawBuilder<unknown>, pattern: string, caseInsensitive: boolean): RawBuilder<unknown>

  /** INSERT text that skips rows violating a unique constraint. */
  readonly ignoreConflicts: { readonly prefix: string; readonly suffix: string }
  /** A CASE expression in an UPDATE, cast to the column's type where the database needs it. */
  castForCase(expression: RawBuilder<unknown>, internalType: string, column: ColumnDescription): RawBuilder<unknown>

  /**
   * A multi-row INSERT compiled directly (bulk writes bind thousands of values; building them
   * through the query builder costs more than the database's own work).
   */
  compileInsert(table: string, columns: readonly string[], rows: ReadonlyArray<readonly unknown[]>, options: { prefix?: string; suffix?: string; returning?: string }): CompiledQuery

  /**
   * Inserts many rows where the database has a faster way than one long statement (SQLite: one
   * prepared statement run per row); returns the generated keys when `returning` is given, or
   * undefined when the backend has no such path (the caller then uses compileInsert).
   */
  bulkInsert?(table: string, columns: readonly string[], rows: ReadonlyArray<readonly unknown[]>, options: { prefix?: string; returning?: string }): Promise<unknown[] | undefined> | undefined

  /**
   * Runs a SELECT straight through the driver and gives its rows as arrays in select-list order,
   * or returns undefined to let the caller go through Kysely. `inOwnTransaction` says the caller's
   * async context holds a transaction on this database (whose connection Kysely owns).
   */
  selectArrays?(query: CompiledQuery, inOwnTransaction: boolean): Promise<unknown[][]> | undefined

  /** Wraps a driver error in the matching DatabaseError subclass, or returns it unchanged. */
  translateError(error: unknown): unknown
  /** The id generated by an INSERT that could not return it (MySQL's insertId). */
  lastInsertId(result: { insertId?: bigint | undefined }): number | undefined

  /** Names of the tables that exist. */
  tableNames(): Promise<Set<string>>
  /** Names of the columns of one table. */
  columnNames(table: string): Promise<Set<string>>
  /** Empties the given tables and resets their id sequences. */
  flush(tables: readonly string[]): Promise<void>
  /** Statements that postpone foreign key checks to the end of the transaction (fixture loading). */
  readonly deferConstraintChecks: readonly string[]
  /** Statements that turn the checks back on (before commit, where they were switched off). */
  readonly restoreConstraintChecks: readonly string[]
  /** Moves id sequences past the largest id, after rows were inserted with explicit ids. */
  resetSequences(tables: ReadonlyArray<{ table: string; column: string }>): Promise<void>
  /** Drops tables (those that exist), whatever foreign keys point at them. */
  dropTables(tables: readonly string[]): Promise<void>
  /** Checks that the database answers; throws an OperationalError naming the alias and URL. */
  ping(): Promise<void>
  close(): Promise<void>
}
