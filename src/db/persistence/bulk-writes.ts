import { CompiledQuery, sql } from 'kysely'
import type { Model } from '../model.ts'
import type { Field } from '../fields/field.ts'
import { Query } from '../query/query.ts'
import { Expression } from '../query/expressions.ts'
import { assertTransactionUsable, connections, runQuery } from '../connections.ts'
import { recordQuery } from '../query-log.ts'
import { atomic } from '../transaction.ts'
import { prepareRelatedForSave, resolvePrivateFields, rowValues, saveValue } from './prepare-for-save.ts'

/** Options of `bulkCreate()`. */
export interface BulkCreateOptions {
  batchSize?: number
  /** Skip rows that violate a unique constraint instead of failing. */
  ignoreConflicts?: boolean
}

/**
 * bulkCreate's work: checks every instance, then inserts them in batches in one transaction,
 * setting generated keys where the database returns them. No save signals, as in Django.
 */
export async function insertMany<M extends Model>(model: typeof Model, objects: M[], using: string, options: BulkCreateOptions): Promise<M[]> {
  const meta = model._meta
  const withPk: M[] = []
  const withoutPk: M[] = []
  const concreteModel = meta.concreteModel
  const pk = meta.pk
  const pkAttname = pk.attname
  for (const object of objects) {
    if (!(object instanceof concreteModel)) throw new TypeError(`bulkCreate() expects ${meta.objectName} instances, got ${String(object)}.`)
    // Both look at cached related objects only: most new rows have none.
    if (object._state.hasRelatedCache) {
      const resolving = resolvePrivateFields(object, using)
      if (resolving) await resolving
      prepareRelatedForSave(object, 'bulkCreate')
    }
    const key = (object as Record<string, unknown>)[pkAttname]
    if (key === null || key === undefined) withoutPk.push(object)
    else withPk.push(object)
  }
  const backend = connections.get(using)
  await atomic(async () => {
    for (const [group, includePk] of [[withPk, true], [withoutPk, false]] as const) {
      if (group.length === 0) continue
      const fields = meta.concreteFields.filter((f) => includePk || !(f.primaryKey && f.autoCreatedValue))
      const maxBatch = Math.max(1, Math.floor(backend.features.maxQueryParams / Math.max(1, fields.length)))
      const batchSize = Math.min(options.batchSize ?? maxBatch, maxBatch)
      const returnKeys = !includePk && backend.features.canReturnRowsFromBulkInsert && !options.ignoreConflicts
      const shape = { ...(options.ignoreConflicts ? backend.ignoreConflicts : {}), ...(returnKeys ? { returning: pk.column } : {}) }
      const columns = fields.map((f) => f.column)
      const valuesOf = rowValues(meta, fields)
      for (let start = 0; start < group.length; start += batchSize) {
        const batch = group.slice(start, start + batchSize)
        const values = batch.map((object) => valuesOf(object, backend, object._state.adding))
        let keys: unknown[]
        assertTransactionUsable(using)
        const fast = backend.bulkInsert?.(meta.dbTable, columns, values, shape)
        if (fast) {
          recordQuery(using, CompiledQuery.raw(`INSERT INTO ${meta.dbTable} … (${values.length} rows)`))
          keys = (await fast) ?? []
        } else {
          const result = await runQuery<Record<string, unknown>>(using, backend.compileInsert(meta.dbTable, columns, values, shape))
          keys = result.rows.map((row) => row[pk.column])
        }
        if (returnKeys) keys.forEach((key, i) => { (batch[i] as Record<string, unknown>)[pkAttname] = pk.fromDb(key) })
      }
    }
  }, { using, savepoint: false })
  for (const object of objects) {
    object._state.adding = false
    object._state.db = using
  }
  return objects
}

/**
 * bulkUpdate's work: one `UPDATE … SET col = CASE pk WHEN … END` per batch (F expressions
 * allowed), in one transaction; returns the rows matched.
 */
export async function updateMany(model: typeof Model, objects: Model[], fields: Field[], using: string, options: { batchSize?: number }): Promise<number> {
  const meta = model._meta
  if (fields.some((f) => f.primaryKey)) throw new TypeError('bulkUpdate() cannot be used with primary key fields.')
  if (objects.some((o) => o.pk === null || o.pk === undefined)) throw new TypeError('All bulkUpdate() objects must have a primary key set.')
  if (objects.length === 0) return 0
  for (const object of objects) prepareRelatedForSave(object, 'bulkUpdate')
  const backend = connections.get(using)
  const pk = meta.pk
  const batchSize = options.batchSize ?? Math.max(1, Math.floor(backend.features.maxQueryParams / (fields.length * 2 + 1)))
  let matched = 0
  await atomic(async () => {
    for (let start = 0; start < objects.length; start += batchSize) {
      const batch = objects.slice(start, start + batchSize)
      const keys = batch.map((o) => backend.adaptValue(pk.dbType, pk.getDbPrepValue(o.pk)))
      const assignments = fields.map((field) => {
        const cases = batch.map((object, i) => {
          const value = (object as any)[field.attname]
          const compiled = value instanceof Expression ? value.resolve(new Query(model), {}).compile(backend) : saveValue(object, field, backend)
          return sql`WHEN ${sql.ref(pk.column)} = ${keys[i]} THEN ${compiled}`
        })
        return sql`${sql.id(field.column)} = ${backend.castForCase(sql`CASE ${sql.join(cases, sql` `)} END`, field.dbType, field.columnDescription)}`
      })
      const statement = sql`UPDATE ${sql.table(meta.dbTable)} SET ${sql.join(assignments)} WHERE ${sql.ref(pk.column)} IN (${sql.join(keys)})`
      const result = await runQuery(using, statement.compile(backend.kysely))
      matched += Number(result.numAffectedRows ?? 0)
    }
  }, { using, savepoint: false })
  return matched
}
