import Database from 'better-sqlite3'
import { CompiledQuery, Kysely, SqliteDialect, sql, type RawBuilder } from 'kysely'
import type { BackendFeatures, ColumnDescription, DatabaseBackend, PatternKind, ValueConverter } from './backend.ts'
import type { DatabaseUrl } from './database-url.ts'
import { OperationalError } from '../errors.ts'
import { buildInsert, doubleQuote, dashUuid, formatUtcDateTime, likeMatch, parseStoredDateTime, undashUuid, wrapDriverError, type ErrorKind } from './sql-helpers.ts'

const features: BackendFeatures = {
  canReturnRowsFromInsert: true,
  canReturnRowsFromBulkInsert: true,
  canReturnRowsFromDelete: true,
  hasSelectForUpdate: false,
  canRollbackDdl: true,
  inlineForeignKeys: true,
  maxNameLength: 1024,
  maxQueryParams: 32766,
}

/** Django's SQLite column types, so a database can be shared with a Django project. */
const dataTypes: Record<string, string | ((c: ColumnDescription) => string)> = {
  AutoField: 'integer',
  BigAutoField: 'integer',
  CharField: (c) => `varchar(${c.maxLength})`,
  TextField: 'text',
  IntegerField: 'integer',
  SmallIntegerField: 'smallint',
  BigIntegerField: 'bigint',
  PositiveIntegerField: 'integer unsigned',
  PositiveSmallIntegerField: 'smallint unsigned',
  PositiveBigIntegerField: 'bigint unsigned',
  FloatField: 'real',
  DecimalField: 'decimal',
  BooleanField: 'bool',
  DateField: 'date',
  DateTimeField: 'datetime',
  UUIDField: 'char(32)',
  JSONField: 'text',
}

/** SQLite through better-sqlite3: the embedded default. */
export class SqliteBackend implements DatabaseBackend {
  readonly vendor = 'sqlite'
  readonly features = features
  readonly kysely: Kysely<any>
  readonly displayUrl: string
  readonly emptyInsertSql = 'DEFAULT VALUES'
  readonly ignoreConflicts = { prefix: ' OR IGNORE', suffix: '' }
  readonly deferConstraintChecks = ['PRAGMA defer_foreign_keys = ON']
  readonly restoreConstraintChecks: string[] = []
  readonly tableSuffix = ''
  readonly deferrableSql = ' DEFERRABLE INITIALLY DEFERRED'
  private readonly database: Database.Database

  constructor(readonly alias: string, url: DatabaseUrl) {
    this.displayUrl = url.display
    try {
      this.database = new Database(url.path!)
    } catch (error) {
      throw new OperationalError(
        `Database '${alias}' (${url.display}): cannot open the SQLite file: ${(error as Error).message}`, { cause: error })
    }
    this.database.pragma('foreign_keys = ON')
    this.database.pragma('journal_mode = WAL')
    // SQLite's lower() folds ASCII only; the other dialects fold all of Unicode.
    this.database.function('ct_lower', { deterministic: true }, (value: unknown) =>
      typeof value === 'string' ? value.toLowerCase() : value)
    // A pattern is compiled once per query, not once per row.
    const compiled = new Map<string, RegExp>()
    const regexp = (pattern: unknown, value: unknown, flags: string) => {
      if (value === null || pattern === null) return null
      const key = `${flags}/${String(pattern)}`
      let re = compiled.get(key)
      if (!re) {
        if (compiled.size > 100) compiled.clear()
        compiled.set(key, (re = new RegExp(String(pattern), flags)))
      }
      return re.test(String(value)) ? 1 : 0
    }
    this.database.function('ct_regexp', { deterministic: true }, (pattern: unknown, value: unknown) => regexp(pattern, value, ''))
    this.database.function('ct_iregexp', { deterministic: true }, (pattern: unknown, value: unknown) => regexp(pattern, value, 'i'))
    this.kysely = new Kysely({ dialect: new SqliteDialect({ database: this.database }) })
  }

  columnType(column: ColumnDescription): string {
    const type = dataTypes[column.internalType]
    if (type === undefined) throw new Error(`No SQLite column type for ${column.internalType}`)
    return typeof type === 'function' ? type(column) : type
  }

  autoPrimaryKeyDefinition(): string {
    return 'integer NOT NULL PRIMARY KEY AUTOINCREMENT'
  }

  adaptValue(internalType: string, value: unknown): unknown {
    if (value === null || value === undefined) return null
    switch (internalType) {
      case 'BooleanField': return value ? 1 : 0
      case 'DateTimeField': return value instanceof Date ? formatUtcDateTime(value) : value
      case 'UUIDField': return undashUuid(value)
      default:
        if (typeof value === 'boolean') return value ? 1 : 0
        return value
    }
  }

  converter(internalType: string): ValueConverter | undefined {
    switch (internalType) {
      case 'BooleanField': return (v) => (v === null ? null : Boolean(v))
      case 'DateTimeField': return parseStoredDateTime
      case 'UUIDField': return dashUuid
      default: return undefined
    }
  }

  selectColumn(internalType: string, column: RawBuilder<unknown>): RawBuilder<unknown> {
    // better-sqlite3 would round integers past 2**53; text keeps every digit.
    if (internalType === 'BigIntegerField' || internalType === 'PositiveBigIntegerField') {
      return sql`CAST(${column} AS TEXT)`
    }
    return column
  }

  lower(expression: RawBuilder<unknown>): RawBuilder<unknown> {
    return sql`ct_lower(${expression})`
  }

  patternMatch(kind: PatternKind, expression: RawBuilder<unknown>, value: string, caseInsensitive: boolean): RawBuilder<unknown> {
    if (caseInsensitive) return likeMatch(kind, this.lower(expression), value.toLowerCase())
    // SQLite's LIKE ignores ASCII case; GLOB does not. Escape GLOB's wildcards by bracketing them.
    const escaped = value.replace(/[*?[]/g, (ch) => `[${ch}]`)
    const pattern = kind === 'contains' ? `*${escaped}*` : kind === 'startswith' ? `${escaped}*` : `*${escaped}`
    return sql`${expression} GLOB ${pattern}`
  }

  limitOffset(limit: number | undefined, offset: number): RawBuilder<unknown> {
    if (limit === undefined) return offset > 0 ? sql` LIMIT -1 OFFSET ${sql.lit(offset)}` : sql``
    return sql` LIMIT ${sql.lit(limit)}${offset > 0 ? sql` OFFSET ${sql.lit(offset)}` : sql``}`
  }

  castToText(expression: RawBuilder<unknown>, internalType: string): RawBuilder<unknown> {
    if (internalType === 'UUIDField') {
      return sql`(substr(${expression}, 1, 8) || '-' || substr(${expression}, 9, 4) || '-' || substr(${expression}, 13, 4) || '-' || substr(${expression}, 17, 4) || '-' || substr(${expression}, 21))`
    }
    return sql`CAST(${expression} AS TEXT)`
  }

  inList(expression: RawBuilder<unknown>, values: readonly unknown[]): RawBuilder<unknown> | undefined {
    // json_each gives back integers, reals and text as SQLite stores them; other values keep the plain list.
    if (!values.every((v) => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)))) return undefined
    return sql`${expression} IN (SELECT value FROM json_each(${JSON.stringify(values)}))`
  }

  regexMatch(expression: RawBuilder<unknown>, pattern: string, caseInsensitive: boolean): RawBuilder<unknown> {
    return sql`${sql.raw(caseInsensitive ? 'ct_iregexp' : 'ct_regexp')}(${pattern}, ${expression}) = 1`
  }

  castForCase(expression: RawBuilder<unknown>, internalType: string, column: ColumnDescription): RawBuilder<unknown> {
    return expression
  }

  compileInsert(table: string, columns: readonly string[], rows: ReadonlyArray<readonly unknown[]>, options: { prefix?: string; suffix?: string; returning?: string }): CompiledQuery {
    return buildInsert(doubleQuote, () => '?', table, columns, rows, options)
  }

  private readonly statements = new Map<string, Database.Statement>()

  /** A prepared statement for a SQL text, parsed once: most queries of an application repeat. */
  private statement(text: string): Database.Statement {
    let statement = this.statements.get(text)
    if (!statement) {
      // Texts differ with the length of IN lists: keep the cache bounded, dropping the oldest.
      if (this.statements.size >= 500) this.statements.delete(this.statements.keys().next().value!)
      statement = this.database.prepare(text)
      this.statements.set(text, statement)
    }
    return statement
  }

  /**
   * The single connection serves reads directly when no transaction is open on it, or when the
   * caller's own transaction is (a read in it belongs in it). Another context's open transaction
   * means waiting for it through Kysely's connection lock.
   */
  selectArrays(query: CompiledQuery, inOwnTransaction: boolean): Promise<unknown[][]> | undefined {
    if (!inOwnTransaction && this.database.inTransaction) return undefined
    try {
      return Promise.resolve(this.statement(query.sql).raw(true).all(query.parameters as unknown[]) as unknown[][])
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /**
   * One prepared single-row INSERT run per row: SQLite parses a statement once and runs it for
   * every row faster than it parses a statement with thousands of parameters. Used only inside a
   * transaction of this connection (bulk writes always open one), so the direct calls are part of it.
   */
  bulkInsert(table: string, columns: readonly string[], rows: ReadonlyArray<readonly unknown[]>, options: { prefix?: string; returning?: string }): Promise<unknown[] | undefined> | undefined {
    if (!this.database.inTransaction || columns.length === 0) return undefined
    const text = buildInsert(doubleQuote, () => '?', table, columns, [columns.map(() => null)], { ...options, returning: undefined }).sql
    const statement = this.statement(text)
    try {
      if (options.returning) {
        // Keys generated here are integer primary keys, which are the rowid.
        return Promise.resolve(rows.map((row) => statement.run(...row).lastInsertRowid))
      }
      for (const row of rows) statement.run(...row)
      return Promise.resolve([])
    } catch (error) {
      return Promise.reject(this.translateError(error))
    }
  }

  translateError(error: unknown): unknown {
    const code = (error as { code?: string }).code ?? ''
    const message = (error as Error).message ?? ''
    let kind: ErrorKind | undefined
    if (code.startsWith('SQLITE_CONSTRAINT')) kind = 'integrity'
    else if (code === 'SQLITE_MISMATCH' || code === 'SQLITE_TOOBIG') kind = 'data'
    else if (code === 'SQLITE_ERROR' && /no such (table|column)|syntax error|has no column/.test(message)) kind = 'programming'
    else if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_IOERR')) kind = 'operational'
    else if (code === 'SQLITE_ERROR') kind = 'programming'
    return wrapDriverError(error, kind)
  }

  lastInsertId(): number | undefined {
    return undefined
  }

  async tableNames(): Promise<Set<string>> {
    const result = await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table'`.execute(this.kysely)
    return new Set(result.rows.map((r) => r.name))
  }

  async columnNames(table: string): Promise<Set<string>> {
    const result = await sql<{ name: string }>`SELECT name FROM pragma_table_info(${table})`.execute(this.kysely)
    return new Set(result.rows.map((r) => r.name))
  }

  async flush(tables: readonly string[]): Promise<void> {
    if (tables.length === 0) return
    await this.kysely.transaction().execute(async (trx) => {
      await sql`PRAGMA defer_foreign_keys = ON`.execute(trx)
      for (const table of tables) await sql`DELETE FROM ${sql.table(table)}`.execute(trx)
      const hasSequences = (await sql`SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'`.execute(trx)).rows.length > 0
      if (hasSequences) {
        await sql`DELETE FROM sqlite_sequence WHERE name IN (${sql.join(tables)})`.execute(trx)
      }
    })
  }

  async dropTables(tables: readonly string[]): Promise<void> {
    this.database.pragma('foreign_keys = OFF')
    try {
      for (const table of tables) await sql`DROP TABLE IF EXISTS ${sql.table(table)}`.execute(this.kysely)
    } finally {
      this.database.pragma('foreign_keys = ON')
    }
  }

  async resetSequences(): Promise<void> {
    // SQLite's AUTOINCREMENT already moves past explicit ids.
  }

  async ping(): Promise<void> {
    await sql`SELECT 1`.execute(this.kysely)
  }

  async close(): Promise<void> {
    await this.kysely.destroy()
  }
}
