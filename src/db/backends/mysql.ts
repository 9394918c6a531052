import { createPool } from 'mysql2'
import { CompiledQuery, Kysely, MysqlDialect, sql, type RawBuilder } from 'kysely'
import type { BackendFeatures, ColumnDescription, DatabaseBackend, PatternKind, ValueConverter } from './backend.ts'
import type { DatabaseUrl } from './database-url.ts'
import { buildInsert, dashUuid, likeMatch, undashUuid, wrapDriverError, type ErrorKind , informationSchemaColumns, informationSchemaTables } from './sql-helpers.ts'

/**
 * What every session needs: strict writes (no silent truncation), UTC, and READ COMMITTED (Django's
 * default for MySQL since 2.0: under REPEATABLE READ, getOrCreate's second read after a lost race
 * sees its old snapshot and misses the row the winner committed).
 */
const sessionSettings = [
  "SET SESSION sql_mode = 'STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION', time_zone = '+00:00'",
  'SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED',
]

const features: BackendFeatures = {
  canReturnRowsFromInsert: false,
  canReturnRowsFromBulkInsert: false,
  canReturnRowsFromDelete: false,
  hasSelectForUpdate: true,
  canRollbackDdl: false,
  inlineForeignKeys: false,
  maxNameLength: 64,
  maxQueryParams: 65535,
}

const dataTypes: Record<string, string | ((c: ColumnDescription) => string)> = {
  AutoField: 'integer',
  BigAutoField: 'bigint',
  CharField: (c) => `varchar(${c.maxLength})`,
  TextField: 'longtext',
  IntegerField: 'integer',
  SmallIntegerField: 'smallint',
  BigIntegerField: 'bigint',
  PositiveIntegerField: 'integer UNSIGNED',
  PositiveSmallIntegerField: 'smallint UNSIGNED',
  PositiveBigIntegerField: 'bigint UNSIGNED',
  FloatField: 'double precision',
  DecimalField: (c) => `numeric(${c.maxDigits}, ${c.decimalPlaces})`,
  BooleanField: 'bool',
  DateField: 'date',
  DateTimeField: 'datetime(6)',
  UUIDField: 'char(32)',
  JSONField: 'json',
}

const integrityErrnos = new Set([1062, 1048, 1451, 1452, 1216, 1217, 1364, 3819, 4025, 1557])
const dataErrnos = new Set([1406, 1264, 1366, 1292, 1265, 3140, 4038])
const programmingErrnos = new Set([1146, 1054, 1064, 1109, 1051, 1060, 1061, 1091])

function errorKind(error: { errno?: number; code?: string }): ErrorKind | undefined {
  const errno = error.errno ?? 0
  if (integrityErrnos.has(errno)) return 'integrity'
  if (dataErrnos.has(errno)) return 'data'
  if (programmingErrnos.has(errno)) return 'programming'
  if (errno === 1045 || errno === 1049 || errno === 2002 || errno === 2003 || errno === 2013) return 'operational'
  if (typeof error.code === 'string' && /^(E[A-Z]+|PROTOCOL_)/.test(error.code)) return 'operational'
  return undefined
}

/** MySQL and MariaDB through mysql2. Tables use a binary collation so comparisons are case-sensitive, as elsewhere. */
export class MysqlBackend implements DatabaseBackend {
  readonly vendor = 'mysql'
  features: BackendFeatures = { ...features }
  readonly kysely: Kysely<any>
  readonly displayUrl: string
  readonly emptyInsertSql = '() VALUES ()'
  readonly ignoreConflicts = { prefix: ' IGNORE', suffix: '' }
  readonly deferConstraintChecks = ['SET FOREIGN_KEY_CHECKS = 0']
  readonly restoreConstraintChecks: string[] = ['SET FOREIGN_KEY_CHECKS = 1']
  readonly tableSuffix = ' ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin'
  readonly deferrableSql = ''

  constructor(readonly alias: string, url: DatabaseUrl) {
    this.displayUrl = url.display
    const pool = createPool({
      uri: url.url.replace(/^mariadb:/i, 'mysql:'),
      connectionLimit: 10,
      timezone: 'Z',
      dateStrings: ['DATE'],
      supportBigNumbers: true,
      jsonStrings: true,
      charset: 'utf8mb4_unicode_ci',
      // JSON stays text: fields parse it, the same on every dialect.
      typeCast(field, next) {
        if (field.type === 'JSON') return field.string('utf8')
        return next()
      },
    })
    this.pool = pool
    this.kysely = new Kysely({
      dialect: new MysqlDialect({
        pool,
        async onCreateConnection(connection) {
          for (const statement of sessionSettings) await connection.executeQuery(CompiledQuery.raw(statement))
        },
      }),
    })
  }

  private readonly pool: ReturnType<typeof createPool>
  /** Pool connections the direct reads have given the session settings (Kysely keeps its own record). */
  private readonly prepared = new WeakSet<object>()

  /**
   * Reads outside a transaction go straight to the pool with rows as arrays: no object per row.
   * A transaction's reads must use its connection, which only Kysely holds.
   */
  selectArrays(query: CompiledQuery, inOwnTransaction: boolean): Promise<unknown[][]> | undefined {
    if (inOwnTransaction) return undefined
    return new Promise((resolve, reject) => {
      this.pool.getConnection((error, connection) => {
        if (error) return reject(error)
        const run = () => connection.query({ sql: query.sql, values: [...query.parameters], rowsAsArray: true }, (queryError, rows) => {
          connection.release()
          if (queryError) reject(queryError)
          else resolve(rows as unknown[][])
        })
        if (this.prepared.has(connection)) return run()
        const settle = (index: number): void => {
          if (index === sessionSettings.length) {
            this.prepared.add(connection)
            run()
            return
          }
          connection.query(sessionSettings[index]!, (settingsError) => {
            // A connection without the settings must not serve queries: the error is the caller's.
            if (settingsError) {
              connection.destroy()
              return reject(settingsError)
            }
            settle(index + 1)
          })
        }
        settle(0)
      })
    })
  }

  columnType(column: ColumnDescription): string {
    const type = dataTypes[column.internalType]
    if (type === undefined) throw new Error(`No MySQL column type for ${column.internalType}`)
    return typeof type === 'function' ? type(column) : type
  }

  autoPrimaryKeyDefinition(internalType: 'AutoField' | 'BigAutoField'): string {
    const type = internalType === 'BigAutoField' ? 'bigint' : 'integer'
    return `${type} AUTO_INCREMENT NOT NULL PRIMARY KEY`
  }

  adaptValue(internalType: string, value: unknown): unknown {
    if (value === null || value === undefined) return null
    switch (internalType) {
      case 'UUIDField': return undashUuid(value)
      default:
        if (typeof value === 'bigint') return value.toString()
        if (typeof value === 'boolean') return value ? 1 : 0
        return value
    }
  }

  converter(internalType: string): ValueConverter | undefined {
    switch (internalType) {
      case 'BooleanField': return (v) => (v === null ? null : Boolean(v))
      case 'UUIDField': return dashUuid
      default: return undefined
    }
  }

  selectColumn(_internalType: string, column: RawBuilder<unknown>): RawBuilder<unknown> {
    return column
  }

  lower(expression: RawBuilder<unknown>): RawBuilder<unknown> {
    return sql`LOWER(${expression})`
  }

  patternMatch(kind: PatternKind, expression: RawBuilder<unknown>, value: string, caseInsensitive: boolean): RawBuilder<unknown> {
    return caseInsensitive
      ? likeMatch(kind, this.lower(expression), value.toLowerCase())
      : likeMatch(kind, sql`CAST(${expression} AS CHAR) COLLATE utf8mb4_bin`, value)
  }

  limitOffset(limit: number | undefined, offset: number): RawBuilder<unknown> {
    if (limit === undefined) return offset > 0 ? sql` LIMIT 18446744073709551615 OFFSET ${sql.lit(offset)}` : sql``
    return sql` LIMIT ${sql.lit(limit)}${offset > 0 ? sql` OFFSET ${sql.lit(offset)}` : sql``}`
  }

  castToText(expression: RawBuilder<unknown>, internalType: string): RawBuilder<unknown> {
    if (internalType === 'UUIDField') {
      return sql`CONCAT_WS('-', SUBSTR(${expression}, 1, 8), SUBSTR(${expression}, 9, 4), SUBSTR(${expression}, 13, 4), SUBSTR(${expression}, 17, 4), SUBSTR(${expression}, 21)) COLLATE utf8mb4_bin`
    }
    return sql`CAST(${expression} AS CHAR) COLLATE utf8mb4_bin`
  }

  regexMatch(expression: RawBuilder<unknown>, pattern: string, caseInsensitive: boolean): RawBuilder<unknown> {
    return sql`CAST(${expression} AS CHAR) COLLATE utf8mb4_bin REGEXP ${caseInsensitive ? `(?i)${pattern}` : pattern}`
  }

  castForCase(expression: RawBuilder<unknown>, internalType: string, column: ColumnDescription): RawBuilder<unknown> {
    return expression
  }

  compileInsert(table: string, columns: readonly string[], rows: ReadonlyArray<readonly unknown[]>, options: { prefix?: string; suffix?: string; returning?: string }): CompiledQuery {
    return buildInsert((name) => `\`${name.replace(/`/g, '``')}\``, () => '?', table, columns, rows, options)
  }

  translateError(error: unknown): unknown {
    return wrapDriverError(error, errorKind(error as { errno?: number; code?: string }))
  }

  lastInsertId(result: { insertId?: bigint | undefined }): number | undefined {
    return result.insertId === undefined ? undefined : Number(result.insertId)
  }

  tableNames(): Promise<Set<string>> {
    return informationSchemaTables(this.kysely, sql`DATABASE()`)
  }

  columnNames(table: string): Promise<Set<string>> {
    return informationSchemaColumns(this.kysely, sql`DATABASE()`, table)
  }

  async flush(tables: readonly string[]): Promise<void> {
    if (tables.length === 0) return
    await this.kysely.connection().execute(async (db) => {
      await sql`SET FOREIGN_KEY_CHECKS = 0`.execute(db)
      try {
        for (const table of tables) await sql`TRUNCATE TABLE ${sql.table(table)}`.execute(db)
      } finally {
        await sql`SET FOREIGN_KEY_CHECKS = 1`.execute(db)
      }
    })
  }

  async dropTables(tables: readonly string[]): Promise<void> {
    if (tables.length === 0) return
    await this.kysely.connection().execute(async (db) => {
      await sql`SET FOREIGN_KEY_CHECKS = 0`.execute(db)
      try {
        await sql`DROP TABLE IF EXISTS ${sql.join(tables.map((t) => sql.table(t)))}`.execute(db)
      } finally {
        await sql`SET FOREIGN_KEY_CHECKS = 1`.execute(db)
      }
    })
  }

  /** Checks the server answers, and learns whether it is MariaDB (10.5+ can return inserted rows). */
  async resetSequences(): Promise<void> {
    // InnoDB's AUTO_INCREMENT already moves past explicit ids.
  }

  async ping(): Promise<void> {
    const result = await sql<{ version: string }>`SELECT VERSION() AS version`.execute(this.kysely)
    const version = String(result.rows[0]?.version ?? '')
    const mariadb = /mariadb/i.exec(version) !== null
    const [major = 0, minor = 0, patch = 0] = version.split(/[.-]/).map(Number)
    const atLeast = (a: number, b: number, c: number) => major > a || (major === a && (minor > b || (minor === b && patch >= c)))
    if (mariadb && atLeast(10, 0, 5)) this.features = { ...this.features, canReturnRowsFromDelete: true }
    if (mariadb && atLeast(10, 5, 0)) {
      this.features = { ...this.features, canReturnRowsFromInsert: true, canReturnRowsFromBulkInsert: true }
    }
  }

  async close(): Promise<void> {
    await this.kysely.destroy()
  }
}
