import { sql } from 'kysely'
import type { Model } from '../model.ts'
import type { Field } from '../fields/field.ts'
import { connections, runQuery } from '../connections.ts'
import { dbForWrite } from '../routers.ts'
import { prepareRelatedForSave, resolvePrivateFields, saveValue } from './prepare-for-save.ts'
import { DatabaseError, ImproperlyConfigured } from '../errors.ts'
import { postSave, preSave } from '../signals.ts'
import { markForRollbackOnError } from '../transaction.ts'

/** Options of `Model.save()`. */
export interface SaveOptions {
  /** Always INSERT (fails if the row exists). */
  forceInsert?: boolean
  /** Always UPDATE (fails if no row was updated). */
  forceUpdate?: boolean
  /** Update only these fields. */
  updateFields?: readonly string[]
  /** The database to write to (default: where the instance came from, else 'default'). */
  using?: string
}

type Row = Record<string, unknown>

/** Django's save_base: signals around an insert or update of the concrete table. */
export async function saveInstance(instance: Model, options: SaveOptions): Promise<void> {
  const model = instance.constructor as typeof Model
  const meta = model._meta
  if (meta.abstract) throw new TypeError(`${meta.label} is abstract and cannot be saved.`)
  if (options.forceInsert && (options.forceUpdate || options.updateFields)) {
    throw new TypeError('Cannot force both insert and updating in model saving.')
  }
  const using = options.using ?? dbForWrite(model, { instance })
  let updateFields = options.updateFields
  if (updateFields !== undefined) {
    if (updateFields.length === 0) return
    const unknown = updateFields.filter((name) => !meta.findField(name)?.concrete)
    if (unknown.length > 0) {
      throw new ImproperlyConfigured(
        `The following fields do not exist in this model, are m2m fields, or are non-concrete fields: ${unknown.join(', ')}`)
    }
    updateFields = updateFields.map((name) => meta.getField(name).name)
  } else if (!instance._state.adding && instance._state.deferredFields && instance._state.db === using) {
    // A partly loaded instance saves only what it loaded.
    const deferred = instance._state.deferredFields
    updateFields = meta.concreteFields.filter((f) => !f.primaryKey && !deferred.has(f.name)).map((f) => f.name)
  }
  await resolvePrivateFields(instance, using)
  prepareRelatedForSave(instance, 'save')
  await preSave.sendAsync(model, { instance, raw: false, using, updateFields })
  // As Django: a failed INSERT or UPDATE dooms the enclosing atomic block (the signals stay outside).
  const created = await markForRollbackOnError(using, () => saveTable(instance, using, { ...options, updateFields }))
  instance._state.db = using
  instance._state.adding = false
  await postSave.sendAsync(model, { instance, created, raw: false, using, updateFields })
}

/** Django's save_table: UPDATE when the row may exist, INSERT otherwise. Returns whether it inserted. */
async function saveTable(instance: Model, using: string, options: SaveOptions): Promise<boolean> {
  const meta = (instance.constructor as typeof Model)._meta
  const pkField = meta.pk
  let pkValue = instance.pk
  if ((pkValue === null || pkValue === undefined) && pkField.hasDefault()) {
    pkValue = pkField.getDefault()
    instance.pk = pkValue
  }
  const pkSet = pkValue !== null && pkValue !== undefined
  let forceInsert = options.forceInsert ?? false
  // A new instance whose key came from a default has no row yet: skip the UPDATE.
  if (!forceInsert && instance._state.adding && pkSet && pkField.hasDefault()) forceInsert = true
  if (options.updateFields && !pkSet) throw new DatabaseError(`Cannot save ${meta.objectName} with update_fields: it has no primary key yet.`)

  if (pkSet && !forceInsert) {
    const fields = meta.concreteFields.filter((f) => !f.primaryKey && (!options.updateFields || options.updateFields.includes(f.name)))
    const values: Row = {}
    for (const field of fields) values[field.column] = saveValue(instance, field, connections.get(using), false)
    const updated = fields.length === 0
      ? await rowExists(meta.dbTable, pkField, pkValue, using)
      : await updateRow(meta.dbTable, pkField, pkValue, values, using)
    if (updated) return false
    if (options.forceUpdate) throw new DatabaseError('Forced update did not affect any rows.')
    if (options.updateFields) throw new DatabaseError('Save with update_fields did not affect any rows.')
  }
  const fields = meta.concreteFields.filter((f) => !(f.autoCreatedValue && ((instance as any)[f.attname] === null || (instance as any)[f.attname] === undefined)))
  const values: Row = {}
  for (const field of fields) values[field.column] = saveValue(instance, field, connections.get(using), true)
  const generated = await insertRow(meta.dbTable, values, pkField, using)
  if (!pkSet && generated !== undefined) instance.pk = pkField.fromDb(generated)
  return true
}

async function rowExists(table: string, pk: Field, value: unknown, using: string): Promise<boolean> {
  const backend = connections.get(using)
  const statement = sql`SELECT 1 AS ${sql.id('a')} FROM ${sql.table(table)} WHERE ${sql.ref(pk.column)} = ${backend.adaptValue(pk.dbType, pk.getDbPrepValue(value))}`
  const result = await runQuery(using, statement.compile(backend.kysely))
  return result.rows.length > 0
}

async function updateRow(table: string, pk: Field, pkValue: unknown, values: Row, using: string): Promise<boolean> {
  const backend = connections.get(using)
  const assignments = Object.entries(values).map(([column, value]) => sql`${sql.id(column)} = ${value}`)
  const statement = sql`UPDATE ${sql.table(table)} SET ${sql.join(assignments)} WHERE ${sql.ref(pk.column)} = ${backend.adaptValue(pk.dbType, pk.getDbPrepValue(pkValue))}`
  const result = await runQuery(using, statement.compile(backend.kysely))
  // Matched rows on every dialect (mysql2 connects with FOUND_ROWS), so 0 means the row is gone.
  return Number(result.numAffectedRows ?? 0) > 0
}

/** Inserts one row; returns the generated primary key where the database gives it. */
export async function insertRow(table: string, values: Row, pk: Field, using: string): Promise<unknown> {
  const backend = connections.get(using)
  const columns = Object.keys(values)
  const returning = backend.features.canReturnRowsFromInsert ? sql` RETURNING ${sql.ref(pk.column)}` : sql``
  const statement = columns.length === 0
    ? sql`INSERT INTO ${sql.table(table)} ${sql.raw(backend.emptyInsertSql)}${returning}`
    : sql`INSERT INTO ${sql.table(table)} (${sql.join(columns.map((c) => sql.id(c)))}) VALUES (${sql.join(Object.values(values))})${returning}`
  const result = await runQuery<Row>(using, statement.compile(backend.kysely))
  if (backend.features.canReturnRowsFromInsert) return result.rows[0]?.[pk.column]
  return backend.lastInsertId(result)
}
