import { AsyncLocalStorage } from 'node:async_hooks'
import type { Kysely } from 'kysely'

/** The open transaction of one alias within the current async context. */
export interface TransactionState {
  readonly alias: string
  readonly executor: Kysely<any>
  /** Callbacks to run after the outermost commit. */
  readonly onCommit: Array<() => unknown>
  /** Savepoint depth: 0 for the outermost block. */
  depth: number
  /** Set when an inner block failed and the whole transaction must roll back. */
  rollbackOnly: boolean
}

const storage = new AsyncLocalStorage<ReadonlyMap<string, TransactionState>>()

/** The transaction open on an alias in this async context, if any. */
export function currentTransaction(alias: string): TransactionState | undefined {
  return storage.getStore()?.get(alias)
}

/**
 * Whether an executor's transaction is still open: a task started inside atomic() may run after
 * the block ended, still carrying its context.
 */
export function isOpenTransaction(executor: Kysely<any>): boolean {
  const status = executor as { isCommitted?: boolean; isRolledBack?: boolean }
  return status.isCommitted !== true && status.isRolledBack !== true
}

let openBlocks = 0

/**
 * Runs fn with a transaction recorded as open on its alias. The async context is switched off
 * again once no block is open: while it is on, Node tracks every promise, which makes every
 * await of the process several times slower.
 */
export async function runInTransaction<T>(state: TransactionState, fn: () => Promise<T>): Promise<T> {
  const current = storage.getStore()
  const next = new Map(current ?? [])
  next.set(state.alias, state)
  openBlocks++
  try {
    return await storage.run(next, fn)
  } finally {
    if (--openBlocks === 0) storage.disable()
  }
}
