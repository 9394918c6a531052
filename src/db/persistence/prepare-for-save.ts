import type { Model } from '../model.ts'
import type { Field, PlainBinding } from '../fields/field.ts'
import { ForeignKey } from '../fields/foreign-key.ts'
import { typesAdaptingPlainValues, type DatabaseBackend } from '../backends/backend.ts'
import type { Options } from '../options.ts'
import { compileOr, literal } from '../codegen.ts'

/**
 * The value of a field of an instance, after its pre-save hook (autoNow…), checked and adapted
 * for a write: shared by save() and the bulk writes.
 */
export function saveValue(instance: Model, field: Field, backend: DatabaseBackend, adding = instance._state.adding): unknown {
  const hook = (field as { preSave?: (current: unknown, adding: boolean) => unknown }).preSave
  let value = (instance as any)[field.attname]
  if (hook) {
    value = hook.call(field, value, adding)
    ;(instance as any)[field.attname] = value
  }
  return backend.adaptValue(field.dbType, field.getDbPrepSave(value))
}

/** The values of an instance's fields for one row of a bulk write, as `saveValue` gives them. */
export type RowValues = (instance: Model, backend: DatabaseBackend, adding: boolean) => unknown[]

const rowValueReaders = new WeakMap<Options, Map<string, RowValues>>()

/**
 * `saveValue` of each of `fields` for an instance, as one generated function per model and field
 * list (see codegen.ts): bulk writes call it for every row. Values a field binds as they are
 * (`plainBinding()`) are tested inline; the others go through the field and the backend. The
 * field list of a bulk create is one of two per model (with or without the key), so the cache
 * stays small.
 */
export function rowValues(meta: Options, fields: readonly Field[]): RowValues {
  let byFields = rowValueReaders.get(meta)
  if (!byFields) rowValueReaders.set(meta, (byFields = new Map()))
  const key = JSON.stringify(fields.map((f) => f.attname))
  let reader = byFields.get(key)
  if (!reader) {
    if (byFields.size >= 64) byFields.clear()
    byFields.set(key, (reader = compileRowValues(fields)))
  }
  return reader
}

/** A JavaScript test that `v` is bound as it is (see Field.plainBinding), or undefined. */
function plainTest(binding: PlainBinding | undefined): string | undefined {
  if (binding?.type === 'string') {
    const length = binding.maxLength
    return length === undefined ? `typeof v === 'string'` : `typeof v === 'string' && v.length <= ${Number(length)}`
  }
  if (binding?.type === 'integer') {
    return `typeof v === 'number' && Number.isInteger(v) && v >= ${Number(binding.min)} && v <= ${Number(binding.max)}`
  }
  return undefined
}

function compileRowValues(fields: readonly Field[]): RowValues {
  const lines = fields.map((field, i) => {
    const attname = literal(field.attname)
    const hook = typeof (field as { preSave?: unknown }).preSave === 'function'
      ? ` v = fields[${i}].preSave(v, adding); o[${attname}] = v;`
      : ''
    const prepared = `backend.adaptValue(${literal(field.dbType)}, fields[${i}].getDbPrepSave(v))`
    // A subclass may store plain values in a type the backend adapts: those take the call.
    const test = typesAdaptingPlainValues.has(field.dbType) ? undefined : plainTest(field.plainBinding())
    return `v = o[${attname}];${hook} const c${i} = ${test ? `${test} ? v : ${prepared}` : prepared};`
  })
  const body = [
    'return function rowValues(o, backend, adding) {',
    '  let v;',
    ...lines.map((line) => `  ${line}`),
    `  return [${fields.map((_, i) => `c${i}`).join(', ')}];`,
    '};',
  ].join('\n')
  const loop: RowValues = (instance, backend, adding) => fields.map((field) => saveValue(instance, field, backend, adding))
  return compileOr<(fields: readonly Field[]) => RowValues>(['fields'], body, () => () => loop)(fields)
}

const foreignKeysOf = new WeakMap<typeof Model, ForeignKey<any, any>[]>()

/** The model's concrete foreign keys, found once: bulk writes ask per instance. */
function foreignKeys(model: typeof Model): ForeignKey<any, any>[] {
  let list = foreignKeysOf.get(model)
  if (!list) foreignKeysOf.set(model, (list = model._meta.concreteFields.filter((f): f is ForeignKey<any, any> => f instanceof ForeignKey)))
  return list
}

/**
 * Refuses unsaved related objects (Django's "save() prohibited to prevent data loss…") and copies
 * the keys of related objects saved since they were assigned. Both are about cached related
 * objects (private fields' `preSaveCheck` too), so an instance without any has nothing to check.
 */
export function prepareRelatedForSave(instance: Model, operation: string): void {
  if (!instance._state.hasRelatedCache) return
  const model = instance.constructor as typeof Model
  for (const field of foreignKeys(model)) {
    if (!instance._state.hasCached(field.name)) continue
    const related = instance._state.fieldsCache[field.name] as Model | null
    if (!related) continue
    if (related.pk === null || related.pk === undefined) {
      throw new TypeError(`${operation}() prohibited to prevent data loss due to unsaved related object '${field.name}'.`)
    }
    if ((instance as any)[field.attname] === null || (instance as any)[field.attname] === undefined) {
      ;(instance as any)[field.attname] = (related as any)[field.targetField.attname]
    }
  }
  for (const field of model._meta.privateFields) {
    (field as { preSaveCheck?: (i: Model, operation: string) => void }).preSaveCheck?.(instance, operation)
  }
}

/**
 * What a private field (a generic key) may do before its instance is written. The hooks are about
 * related objects cached on the instance (its `_state.fieldsCache`): writes skip them for
 * instances with none cached (`_state.hasRelatedCache` false), which is most new rows.
 */
type PrivateFieldHooks = { needsResolve?: (i: Model) => boolean; resolveBeforeSave?: (i: Model, using: string) => Promise<void> }

/**
 * Lets private fields (generic keys) finish what assignment could not do synchronously: resolve
 * an object assigned before its content type was cached, so only instances with cached related
 * objects can need it. Returns undefined when none has anything to do, so bulk writes wait only
 * for the instances that need it.
 */
export function resolvePrivateFields(instance: Model, using: string): Promise<void> | undefined {
  if (!instance._state.hasRelatedCache) return undefined
  let pending: PrivateFieldHooks[] | undefined
  for (const field of (instance.constructor as typeof Model)._meta.privateFields) {
    const hooks = field as PrivateFieldHooks
    if (hooks.resolveBeforeSave && (!hooks.needsResolve || hooks.needsResolve(instance))) (pending ??= []).push(hooks)
  }
  if (!pending) return undefined
  return (async () => {
    for (const hooks of pending) await hooks.resolveBeforeSave!(instance, using)
  })()
}
