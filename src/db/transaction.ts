import { CompiledQuery } from 'kysely'
import { connections, DEFAULT_DB_ALIAS } from './connections.ts'
import { recordQuery } from './query-log.ts'
import { currentTransaction, runInTransaction, type TransactionState } from './transaction-context.ts'

let savepointCounter = 0

/**
 * Runs `fn` in a transaction on one database: committed when `fn` resolves, rolled back when it
 * throws. Nested calls use savepoints, so an inner failure undoes only the inner block; with
 * `{ savepoint: false }` a nested block spares the savepoint's statements, and its failure dooms
 * the whole transaction (as Django's `atomic(savepoint=False)`, which bulk writes and deletion use).
 *
 * @example
 * await atomic(async () => {
 *   await author.save()
 *   await book.save()      // both or neither
 * })
 */
export async function atomic<T>(fn: () => Promise<T> | T, options: { using?: string; savepoint?: boolean } = {}): Promise<T> {
  const alias = options.using ?? DEFAULT_DB_ALIAS
  const outer = currentTransaction(alias)
  // A doomed transaction gets no savepoint (as Django): its queries are refused until it ends.
  // Without a savepoint, a nested block shares the enclosing transaction, so its failure dooms it.
  if (outer) return options.savepoint === false || outer.rollbackOnly ? markForRollbackOnError(alias, async () => fn()) : savepointBlock(outer, fn)

  const backend = connections.get(alias)
  const trx = await backend.kysely.startTransaction().execute()
  const state: TransactionState = { alias, executor: trx, onCommit: [], depth: 0, rollbackOnly: false }
  let result: T
  try {
    result = await runInTransaction(state, async () => fn())
  } catch (error) {
    await trx.rollback().execute().catch(() => {})
    throw error
  }
  if (state.rollbackOnly) {
    // An inner block without a savepoint failed and its error was caught: nothing may be kept.
    await trx.rollback().execute()
    return result
  }
  try {
    await trx.commit().execute()
  } catch (error) {
    // Deferred constraints are checked at commit: report them as the model layer's errors.
    await trx.rollback().execute().catch(() => {})
    throw backend.translateError(error)
  }
  for (const callback of state.onCommit) await callback()
  return result
}

async function savepointBlock<T>(outer: TransactionState, fn: () => Promise<T> | T): Promise<T> {
  const name = `ct_sp_${++savepointCounter}`
  const trx = outer.executor as any
  // Savepoint statements count as queries, as in Django's assertNumQueries.
  const record = (statement: string) => recordQuery(outer.alias, CompiledQuery.raw(`${statement} ${name}`))
  record('SAVEPOINT')
  await trx.savepoint(name).execute()
  const callbacksBefore = outer.onCommit.length
  const inner: TransactionState = { ...outer, depth: outer.depth + 1, onCommit: outer.onCommit }
  try {
    const result = await runInTransaction(inner, async () => fn())
    if (inner.rollbackOnly) {
      record('ROLLBACK TO SAVEPOINT')
      await trx.rollbackToSavepoint(name).execute()
      outer.onCommit.splice(callbacksBefore)
      return result
    }
    record('RELEASE SAVEPOINT')
    await trx.releaseSavepoint(name).execute()
    return result
  } catch (error) {
    record('ROLLBACK TO SAVEPOINT')
    await trx.rollbackToSavepoint(name).execute()
    // Callbacks registered inside the rolled-back block must never run.
    outer.onCommit.splice(callbacksBefore)
    throw error
  }
}

/**
 * Runs `fn` so that its failure inside `atomic()` dooms the innermost block, as Django's
 * mark_for_rollback_on_error (a save's INSERT/UPDATE, `QuerySet.update()`, savepoint-less blocks): the
 * block's later queries are refused, and it rolls back when it ends (to its savepoint if it has
 * one), even when the error is caught. Outside a transaction the error simply propagates.
 */
export async function markForRollbackOnError<T>(using: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (error) {
    const state = currentTransaction(using)
    if (state) state.rollbackOnly = true
    throw error
  }
}

/**
 * Registers a callback to run after the current transaction commits, or now when none is open.
 *
 * @example
 * await atomic(async () => { await order.save(); onCommit(() => sendMail(order)) })
 */
export async function onCommit(callback: () => unknown, options: { using?: string } = {}): Promise<void> {
  const state = currentTransaction(options.using ?? DEFAULT_DB_ALIAS)
  if (state) state.onCommit.push(callback)
  else await callback()
}

/** True inside `atomic()` on that database. */
export function inAtomicBlock(using: string = DEFAULT_DB_ALIAS): boolean {
  return currentTransaction(using) !== undefined
}
