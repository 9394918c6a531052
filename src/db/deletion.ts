import type { Model } from './model.ts'
import type { Field } from './fields/field.ts'
import type { ForeignKey } from './fields/foreign-key.ts'
import type { QuerySet } from './queryset.ts'
import { IntegrityError } from './errors.ts'
import { postDelete, preDelete } from './signals.ts'
import { atomic } from './transaction.ts'
import { DEFAULT_DB_ALIAS, connections } from './connections.ts'
import { matchKey } from './prefetch.ts'

/** Raised when a PROTECT foreign key refuses a deletion; `protectedObjects` are the referring rows. */
export class ProtectedError extends IntegrityError {
  constructor(message: string, readonly protectedObjects: Model[]) {
    super(message)
  }
}

/** Raised when a RESTRICT foreign key refuses a deletion; `restrictedObjects` are the referring rows. */
export class RestrictedError extends IntegrityError {
  constructor(message: string, readonly restrictedObjects: Model[]) {
    super(message)
  }
}

/** A private field (a generic relation) that owns rows of another model and deletes them with its owner. */
export interface BulkRelatedObjects {
  /**
   * The rows owned by the owners of `model` with these primary keys, as a queryset, so they can be
   * deleted without loading (Django's bulk_related_objects, by keys: owners need not be loaded).
   */
  bulkRelatedObjects(model: typeof Model, keys: unknown[], using: string): QuerySet<any>
  /** The model of the owned rows. */
  readonly relatedModel: typeof Model
}

function hasBulkRelatedObjects(field: Field): field is Field & BulkRelatedObjects {
  return typeof (field as Partial<BulkRelatedObjects>).bulkRelatedObjects === 'function'
}

const BATCH = 500

/**
 * Owners of generic relations deleted without loading: one `DELETE … RETURNING` their keys, then
 * the rows they own by exactly those keys; or, with keys read beforehand, what they own and then
 * the owners, by those keys.
 */
interface OwnersDeletion {
  readonly owners: QuerySet<any>
  readonly owning: ReadonlyArray<Field & BulkRelatedObjects>
  /** The owners' keys when read beforehand: then the owners go by them, after what they own. */
  readonly keys: unknown[] | undefined
}

/**
 * Gathers everything a deletion touches (Django's Collector): the rows to delete, the rows their
 * foreign keys cascade to, the keys to set to NULL or a default, and the PROTECT / RESTRICT rules
 * that refuse it. `delete()` then runs it all in one transaction, with delete signals.
 *
 * @example
 * const collector = new Collector('default')
 * await collector.collect([author])
 * const [total, perModel] = await collector.delete()
 */
export class Collector {
  /** Instances to delete, per concrete model, by primary key (an instance collected twice counts once). */
  private readonly data = new Map<typeof Model, Map<unknown, Model>>()
  /** Querysets deleted without loading their rows, and owners deleted with what they own, in order. */
  private readonly fastDeletes: Array<QuerySet<any> | OwnersDeletion> = []
  /** Field updates: (field, value) → rows. */
  private readonly fieldUpdates: Array<{ field: Field; value: unknown; objects: Model[] }> = []
  private readonly restricted = new Map<ForeignKey<any, any>, Model[]>()
  /** model → models whose rows must go first. */
  private readonly dependencies = new Map<typeof Model, Set<typeof Model>>()

  /**
   * @param forceCollection load every row instead of fast-deleting (to list what would go, as
   *   remove-stale-contenttypes does).
   */
  constructor(readonly using: string = DEFAULT_DB_ALIAS, readonly origin?: unknown, readonly forceCollection = false) {}

  /** How many rows of each model the deletion would remove, by model (the collected rows). */
  collectedCounts(): Map<typeof Model, number> {
    return new Map([...this.data].map(([model, rows]) => [model, rows.size]))
  }

  private add(objects: Model[], source?: typeof Model, nullable = false): Model[] {
    if (objects.length === 0) return []
    const model = (objects[0]!.constructor as typeof Model)._meta.concreteModel
    let byKey = this.data.get(model)
    if (!byKey) this.data.set(model, (byKey = new Map()))
    const added: Model[] = []
    for (const object of objects) {
      const key = matchKey(object.pk)
      if (byKey.has(key)) continue
      byKey.set(key, object)
      added.push(object)
    }
    if (source && !nullable) this.addDependency(source._meta.concreteModel, model)
    return added
  }

  private addDependency(model: typeof Model, dependency: typeof Model): void {
    if (model === dependency) return
    let set = this.dependencies.get(model)
    if (!set) this.dependencies.set(model, (set = new Set()))
    set.add(dependency)
  }

  /** Whether rows of a model can be deleted by a bare DELETE: no signals, nothing cascading from them. */
  canFastDelete(model: typeof Model): boolean {
    return this.deletableWithoutLoading(model) && !model._meta.concreteModel._meta.privateFields.some(hasBulkRelatedObjects)
  }

  /** canFastDelete() but for the rows private fields (generic relations) own. */
  private deletableWithoutLoading(model: typeof Model): boolean {
    if (this.forceCollection) return false
    if (preDelete.hasListeners(model) || postDelete.hasListeners(model)) return false
    const meta = model._meta.concreteModel._meta
    if (meta.relatedObjects.some((r) => r.field.onDelete.name !== 'DO_NOTHING')) return false
    // Rows holding a RESTRICT key are loaded, so the RESTRICT check can see they are deleted too.
    return !meta.concreteFields.some((f) => (f as unknown as Partial<ForeignKey<any, any>>).onDelete?.name === 'RESTRICT')
  }

  /**
   * The private fields owning rows of the model (generic relations), when the rows they own can
   * go without loading; else undefined.
   */
  private ownersByKey(model: typeof Model): Array<Field & BulkRelatedObjects> | undefined {
    const owning = model._meta.concreteModel._meta.privateFields.filter(hasBulkRelatedObjects)
    return owning.every((f) => this.canFastDelete(f.relatedModel)) ? owning : undefined
  }

  /** Adds a queryset: deleted directly when possible, else loaded and collected. */
  async collectQueryset(queryset: QuerySet<any>, options: { source?: typeof Model; nullable?: boolean; failOnRestricted?: boolean } = {}): Promise<void> {
    const owning = this.deletableWithoutLoading(queryset.model) ? this.ownersByKey(queryset.model) : undefined
    if (owning?.length === 0) {
      this.fastDeletes.push(queryset)
      return
    }
    if (owning) {
      // Django loads owners to find the rows they own; when nothing needs the rows themselves, their
      // keys do, so the owned rows and the owners are the same set. Where DELETE returns rows and
      // nothing refers to the owners (so they may go before what they own), the owners' DELETE
      // gives the keys; else they are read once here.
      const meta = queryset.model._meta.concreteModel._meta
      const returning = connections.get(this.using).features.canReturnRowsFromDelete && meta.relatedObjects.length === 0
      const keys = returning ? undefined : await queryset.valuesList('pk', { flat: true })
      this.fastDeletes.push({ owners: queryset, owning, keys })
      return
    }
    const rows = await queryset.fetch()
    if (rows.length > 0 || (options.failOnRestricted ?? true)) await this.collect(rows, options)
  }

  /**
   * Adds instances and, following every foreign key that points at them, what their deletion
   * cascades to, protects, restricts or updates.
   */
  async collect(objects: Model[], options: { source?: typeof Model; nullable?: boolean; failOnRestricted?: boolean } = {}): Promise<void> {
    const added = this.add(objects, options.source, options.nullable)
    if (added.length > 0) {
      const model = (added[0]!.constructor as typeof Model)._meta.concreteModel
      for (const relation of model._meta.relatedObjects) {
        const field = relation.field
        if (field.onDelete.name === 'DO_NOTHING') continue
        const related = relation.relatedModel
        for (let start = 0; start < added.length; start += BATCH) {
          const batch = added.slice(start, start + BATCH)
          const queryset = related._meta.baseManager.using(this.using).filter({ [`${field.name}__in`]: batch })
          if (field.onDelete.name === 'CASCADE' && this.canFastDelete(related)) {
            this.fastDeletes.push(queryset)
            continue
          }
          const rows = await queryset.fetch()
          if (rows.length > 0) await this.applyOnDelete(field, rows, model)
        }
      }
      for (const field of model._meta.privateFields) {
        if (!hasBulkRelatedObjects(field)) continue
        const owned = field.bulkRelatedObjects(added[0]!.constructor as typeof Model, added.map((o) => o.pk), this.using)
        await this.collectQueryset(owned, { source: model, nullable: true, failOnRestricted: false })
      }
    }
    if (options.failOnRestricted ?? true) this.checkRestricted(objects)
  }

  private async applyOnDelete(field: ForeignKey<any, any>, rows: Model[], parent: typeof Model): Promise<void> {
    const policy = field.onDelete
    switch (policy.name) {
      case 'CASCADE':
        await this.collect(rows, { source: parent, nullable: field.null, failOnRestricted: false })
        return
      case 'PROTECT':
        throw new ProtectedError(
          `Cannot delete some instances of model '${parent._meta.objectName}' because they are referenced through ` +
          `protected foreign keys: '${field.model._meta.objectName}.${field.name}'.`, rows)
      case 'RESTRICT':
        this.restricted.set(field, [...(this.restricted.get(field) ?? []), ...rows])
        this.addDependency(parent, field.model._meta.concreteModel)
        return
      case 'SET_NULL':
        this.fieldUpdates.push({ field, value: null, objects: rows })
        return
      case 'SET_DEFAULT':
        this.fieldUpdates.push({ field, value: field.getDefault(), objects: rows })
        return
      case 'SET': {
        const value = typeof policy.value === 'function' ? (policy.value as () => unknown)() : policy.value
        this.fieldUpdates.push({ field, value, objects: rows })
        return
      }
      default:
        return
    }
  }

  /** RESTRICT refuses the deletion unless the referring rows are deleted by a cascade in it too. */
  private checkRestricted(objects: Model[]): void {
    if (this.restricted.size === 0) return
    const refusing: string[] = []
    const rows: Model[] = []
    for (const [field, restricted] of this.restricted) {
      const model = field.model._meta.concreteModel
      const deleted = this.data.get(model)
      const remaining = restricted.filter((r) => !deleted?.has(matchKey(r.pk)))
      if (remaining.length > 0) {
        refusing.push(`'${field.model._meta.objectName}.${field.name}'`)
        rows.push(...remaining)
      }
    }
    if (refusing.length === 0) return
    const origin = objects[0] ? (objects[0].constructor as typeof Model)._meta.objectName : '?'
    throw new RestrictedError(
      `Cannot delete some instances of model '${origin}' because they are referenced through restricted foreign keys: ${refusing.join(', ')}.`, rows)
  }

  /** Models in deletion order: those referring to others first. */
  private sortedModels(): Array<typeof Model> {
    const models = [...this.data.keys()]
    const sorted: Array<typeof Model> = []
    const pending = new Set(models)
    while (pending.size > 0) {
      let progressed = false
      for (const model of pending) {
        const deps = [...(this.dependencies.get(model) ?? [])].filter((d) => pending.has(d))
        if (deps.length === 0) {
          sorted.push(model)
          pending.delete(model)
          progressed = true
        }
      }
      if (!progressed) { sorted.push(...pending); break }
    }
    return sorted
  }

  private async deleteOwners({ owners, owning, keys: known }: OwnersDeletion, count: (label: string, n: number) => void): Promise<void> {
    const keys = known ?? await owners.rawDeleteReturningKeys()
    const label = owners.model._meta.concreteModel._meta.label
    let deleted = known ? 0 : keys.length
    for (let start = 0; start < keys.length; start += BATCH) {
      const batch = keys.slice(start, start + BATCH)
      for (const field of owning) {
        const owned = field.bulkRelatedObjects(owners.model, batch, this.using)
        count(owned.model._meta.concreteModel._meta.label, await owned.rawDelete())
      }
      if (known) deleted += await owners.model._meta.baseManager.using(this.using).filter({ pk__in: batch }).rawDelete()
    }
    // Counted after what they own, as Django counts the owned rows' fast deletes first.
    count(label, deleted)
  }

  /** Deletes everything collected in one transaction; returns the total and the count per label. */
  async delete(): Promise<[number, Record<string, number>]> {
    const counts: Record<string, number> = {}
    const count = (label: string, n: number) => { if (n > 0) counts[label] = (counts[label] ?? 0) + n }
    await atomic(async () => {
      for (const instances of this.data.values()) {
        for (const instance of instances.values()) await preDelete.sendAsync(instance.constructor, { instance, using: this.using, origin: this.origin ?? instance })
      }
      for (const step of this.fastDeletes) {
        if ('owning' in step) await this.deleteOwners(step, count)
        else count(step.model._meta.concreteModel._meta.label, await step.rawDelete())
      }
      for (const update of this.fieldUpdates) {
        const model = update.field.model._meta.concreteModel
        for (let start = 0; start < update.objects.length; start += BATCH) {
          const pks = update.objects.slice(start, start + BATCH).map((o) => o.pk)
          await model._meta.baseManager.using(this.using).filter({ pk__in: pks }).update({ [update.field.name]: update.value })
        }
        for (const object of update.objects) (object as any)[update.field.attname] = update.value
      }
      for (const model of this.sortedModels()) {
        const instances = [...this.data.get(model)!.values()]
        let deleted = 0
        for (let start = 0; start < instances.length; start += BATCH) {
          const pks = instances.slice(start, start + BATCH).map((o) => o.pk)
          deleted += await model._meta.baseManager.using(this.using).filter({ pk__in: pks }).rawDelete()
        }
        count(model._meta.label, deleted)
      }
      for (const instances of this.data.values()) {
        for (const instance of instances.values()) await postDelete.sendAsync(instance.constructor, { instance, using: this.using, origin: this.origin ?? instance })
      }
    }, { using: this.using, savepoint: false })
    for (const instances of this.data.values()) for (const instance of instances.values()) instance.pk = null
    const total = Object.values(counts).reduce((a, b) => a + b, 0)
    return [total, counts]
  }
}
