import type { CompiledQuery, Kysely, QueryResult } from 'kysely'
import type { DatabaseBackend } from './backends/backend.ts'
import { createBackend } from './backends/create-backend.ts'
import { ImproperlyConfigured, OperationalError, ProgrammingError, TransactionManagementError } from './errors.ts'
import { currentTransaction, isOpenTransaction } from './transaction-context.ts'
import { recordQuery } from './query-log.ts'

/** The default database alias, as in Django. */
export const DEFAULT_DB_ALIAS = 'default'

/**
 * The configured databases, one backend (and Kysely instance) per alias.
 *
 * @example
 * connections.get('default').kysely // the Kysely instance behind the default database
 */
export class ConnectionHandler {
  private readonly backends = new Map<string, DatabaseBackend>()

  /** Opens every database of the map, checking that each answers. On failure, closes what was opened. */
  async configure(databases: Record<string, string>): Promise<void> {
    if (!(DEFAULT_DB_ALIAS in databases)) {
      throw new ImproperlyConfigured(`setup(): 'databases' must define a '${DEFAULT_DB_ALIAS}' database.`)
    }
    await this.closeAll()
    try {
      for (const [alias, url] of Object.entries(databases)) {
        const backend = createBackend(alias, url)
        this.backends.set(alias, backend)
        try {
          await backend.ping()
        } catch (error) {
          throw connectionError(backend, error)
        }
      }
    } catch (error) {
      await this.closeAll()
      throw error
    }
  }

  /** The backend of an alias; throws naming the configured aliases when it is unknown. */
  get(alias: string = DEFAULT_DB_ALIAS): DatabaseBackend {
    const backend = this.backends.get(alias)
    if (backend) return backend
    if (this.backends.size === 0) {
      throw new ImproperlyConfigured(`No database is configured: call setup({ databases: { default: 'sqlite:./db.sqlite3' } }) first.`)
    }
    throw new ImproperlyConfigured(
      `The connection '${alias}' doesn't exist. Configured databases: ${[...this.backends.keys()].join(', ')}.`)
  }

  /** The configured aliases. */
  aliases(): string[] {
    return [...this.backends.keys()]
  }

  has(alias: string): boolean {
    return this.backends.has(alias)
  }

  /** Closes every connection pool and forgets the databases. */
  async closeAll(): Promise<void> {
    const open = [...this.backends.values()]
    this.backends.clear()
    await Promise.all(open.map((b) => b.close().catch(() => {})))
  }
}

/** The process-wide connections that `setup()` configures. */
export const connections = new ConnectionHandler()

/** Closes every database opened by `setup()`. */
export function closeAll(): Promise<void> {
  return connections.closeAll()
}

/**
 * Runs a compiled query on a database, inside the current transaction of that alias if any,
 * recording it for `captureQueries()` and translating driver errors.
 */
export async function runQuery<R = Record<string, unknown>>(alias: string, query: CompiledQuery): Promise<QueryResult<R>> {
  const backend = connections.get(alias)
  const executor = usableExecutor(alias) ?? backend.kysely
  recordQuery(alias, query)
  try {
    return await executor.executeQuery<R>(query)
  } catch (error) {
    throw translateQueryError(backend, error)
  }
}

/**
 * Runs a SELECT and returns its rows as arrays in select-list order, `keys` naming the columns.
 * Where the backend reads positional rows itself (no object per row to build, no statement to
 * parse again), that is used; otherwise the executor's rows are read by key.
 */
export async function runSelect(alias: string, query: CompiledQuery, keys: readonly string[]): Promise<unknown[][]> {
  const backend = connections.get(alias)
  const executor = usableExecutor(alias)
  recordQuery(alias, query)
  try {
    // A finished transaction's executor goes the Kysely way, which refuses it.
    const direct = executor === undefined || isOpenTransaction(executor) ? backend.selectArrays?.(query, executor !== undefined) : undefined
    if (direct) return await direct
    const { rows } = await (executor ?? backend.kysely).executeQuery<Record<string, unknown>>(query)
    return rows.map((row) => keys.map((key) => row[key]))
  } catch (error) {
    throw translateQueryError(backend, error)
  }
}

/** The executor of the open transaction, refusing one an error has doomed (Django's needs_rollback). */
function usableExecutor(alias: string): Kysely<any> | undefined {
  assertTransactionUsable(alias)
  return currentTransaction(alias)?.executor
}

/**
 * Throws when the open transaction on an alias was doomed by a failed block without a savepoint:
 * for writes that reach the driver without runQuery (SQLite's bulk inserts).
 */
export function assertTransactionUsable(alias: string): void {
  if (currentTransaction(alias)?.rollbackOnly) {
    throw new TransactionManagementError(
      "An error occurred in the current transaction. You can't execute queries until the end of the 'atomic' block.")
  }
}

function translateQueryError(backend: DatabaseBackend, error: unknown): unknown {
  const translated = backend.translateError(error)
  if (translated instanceof OperationalError) return connectionError(backend, error)
  if (translated instanceof ProgrammingError && /no such (table|column)|does not exist|doesn't exist|Unknown column/i.test(translated.message)) {
    translated.message += ` (database '${backend.alias}'). The schema lacks a model's table or column: run migrate(), which creates missing tables and reports missing columns.`
  }
  return translated
}

function connectionError(backend: DatabaseBackend, error: unknown): OperationalError {
  const reason = error instanceof Error ? (error.message || (error as { code?: string }).code || error.name) : String(error)
  return new OperationalError(
    `Database '${backend.alias}' (${backend.displayUrl}) is unavailable: ${reason}. ` +
    `Check that the server runs and that the URL is right.`, { cause: error })
}
