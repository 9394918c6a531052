import type { Model } from '../model.ts'
import type { Field } from '../fields/field.ts'
import { ForeignKey } from '../fields/foreign-key.ts'
import type { DatabaseBackend } from '../backends/backend.ts'

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

const foreignKeysOf = new WeakMap<typeof Model, ForeignKey<any, any>[]>()

/** The model's concrete foreign keys, found once: bulk writes ask per instance. */
function foreignKeys(model: typeof Model): ForeignKey<any, any>[] {
  let list = foreignKeysOf.get(model)
  if (!list) foreignKeysOf.set(model, (list = model._meta.concreteFields.filter((f): f is ForeignKey<any, any> => f instanceof ForeignKey)))
  return list
}

/**
 * Refuses unsaved related objects (Django's "save() prohibited to prevent data loss…") and copies
 * the keys of related objects saved since they were assigned.
 */
export function prepareRelatedForSave(instance: Model, operation: string): void {
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

type PrivateFieldHooks = { needsResolve?: (i: Model) => boolean; resolveBeforeSave?: (i: Model, using: string) => Promise<void> }

/**
 * Lets private fields (generic keys) finish what assignment could not do synchronously. Returns
 * undefined when none has anything to do, so bulk writes wait only for the instances that need it.
 */
export function resolvePrivateFields(instance: Model, using: string): Promise<void> | undefined {
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
