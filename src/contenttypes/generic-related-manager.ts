import { Manager, QuerySet, atomic, dbForWrite, instanceRepr, isStrictRelations, RelatedObjectNotLoaded, type Model } from '../db/index.ts'
import type { GenericRelation } from './generic-relation.ts'


/**
 * The manager behind a GenericRelation accessor (`bookmark.tags`): the related model's default
 * queryset restricted to the owner's content type and id, with Django's add, create, remove,
 * clear (which delete rows), set, getOrCreate and updateOrCreate.
 *
 * @example
 * await bookmark.tags.add(tag1, tag2)          // one UPDATE
 * await bookmark.tags.set([tag1])              // deletes tag2
 * await bookmark.tags.filter({ tag__startswith: 'dj' }).count()
 */
export class GenericRelatedObjectManager<T extends Model> extends Manager<T> {
  constructor(readonly instance: Model, readonly relation: GenericRelation<T>) {
    super()
    this.bind(relation.relatedModel, relation.name, false)
  }

  private get ownerModel(): typeof Model {
    return this.instance.constructor as typeof Model
  }

  private get ownerDb(): string | undefined {
    return this.instance._state.db ?? undefined
  }

  private get writeDb(): string {
    return dbForWrite(this.relation.relatedModel, { instance: this.instance })
  }

  /** The related rows of the owner: its content type (cached id, or a subquery) and its id. */
  override getQueryset(): QuerySet<T> {
    const cached = this.instance._state.getPrefetched(this.relation.name)
    if (cached) return QuerySet.prefetched(this.relation.relatedModel, cached as T[], () => this.buildQueryset())
    return this.buildQueryset()
  }

  private buildQueryset(): QuerySet<T> {
    const base = (this.instance._state.prefetchedQuerysets[this.relation.name] as QuerySet<T> | undefined)
      ?? (this.relation.relatedModel._meta.defaultManager as Manager<T>).getQueryset()
    return base
      .using(this.db ?? this.ownerDb)
      .filter({ [this.relation.objectIdFieldName]: this.instance.pk ?? null })
      .withExtraCondition(this.relation.contentTypeCondition(this.ownerModel, this.relation.contentTypeField.column, false))
  }

  override all(): QuerySet<T> {
    if (!this.instance._state.getPrefetched(this.relation.name) && isStrictRelations()) {
      throw new RelatedObjectNotLoaded(
        `${this.ownerModel._meta.label}.${this.relation.name} is not loaded and strict mode forbids a query here. ` +
        `Load it with prefetchRelated('${this.relation.name}').`)
    }
    return this.getQueryset()
  }

  private clearPrefetched(): void {
    delete this.instance._state.prefetchedObjectsCache[this.relation.name]
    delete this.instance._state.prefetchedQuerysets[this.relation.name]
  }

  /** The values that point a related row at the owner. */
  private async pointers(using: string): Promise<Record<string, unknown>> {
    const ct = await this.relation.contentTypeFor(this.ownerModel, using)
    return { [this.relation.contentTypeField.attname]: ct.id, [this.relation.objectIdField.attname]: this.instance.pk }
  }

  /** Creates a related row pointing at the owner. */
  override async create(values: Record<string, unknown> = {}): Promise<T> {
    this.clearPrefetched()
    const db = this.writeDb
    return this.relation.relatedModel._meta.defaultManager.using(db).create({ ...values, ...(await this.pointers(db)) }) as Promise<T>
  }

  override async getOrCreate(lookup: Record<string, unknown> = {}, options: { defaults?: Record<string, unknown> } = {}): Promise<[T, boolean]> {
    const db = this.writeDb
    return this.relation.relatedModel._meta.defaultManager.using(db).getOrCreate({ ...lookup, ...(await this.pointers(db)) }, options) as Promise<[T, boolean]>
  }

  override async updateOrCreate(lookup: Record<string, unknown> = {}, options: { defaults?: Record<string, unknown>; createDefaults?: Record<string, unknown> } = {}): Promise<[T, boolean]> {
    const db = this.writeDb
    return this.relation.relatedModel._meta.defaultManager.using(db).updateOrCreate({ ...lookup, ...(await this.pointers(db)) }, options) as Promise<[T, boolean]>
  }

  /**
   * Points objects at the owner. With `bulk` (the default) one UPDATE, for saved objects of the
   * write database only; with `bulk: false` each object is saved.
   */
  async add(...args: Array<T | { bulk?: boolean }>): Promise<void> {
    const { objects, bulk } = splitOptions<T>(args)
    this.clearPrefetched()
    const db = this.writeDb
    const model = this.relation.relatedModel
    const check = (obj: T) => {
      if (!(obj instanceof model._meta.concreteModel)) {
        throw new TypeError(`'${model._meta.objectName}' instance expected, got ${instanceRepr(obj)}`)
      }
    }
    const pointers = await this.pointers(db)
    if (bulk) {
      for (const obj of objects) {
        if (obj._state.adding || obj._state.db !== db) {
          throw new TypeError(`${instanceRepr(obj)} instance isn't saved. Use bulk=False or save the object first.`)
        }
        check(obj)
      }
      for (const obj of objects) Object.assign(obj, pointers)
      if (objects.length === 0) return
      await model._meta.baseManager.using(db).filter({ pk__in: objects.map((o) => o.pk) }).update({
        [this.relation.contentTypeField.name]: pointers[this.relation.contentTypeField.attname],
        [this.relation.objectIdField.name]: pointers[this.relation.objectIdField.attname],
      })
    } else {
      await atomic(async () => {
        for (const obj of objects) {
          check(obj)
          Object.assign(obj, pointers)
          await obj.save({ using: db })
        }
      }, { using: db, savepoint: false })
    }
  }

  /** Deletes the given related objects (Django deletes, it does not unlink). */
  async remove(...args: Array<T | { bulk?: boolean }>): Promise<void> {
    const { objects, bulk } = splitOptions<T>(args)
    if (objects.length === 0) return
    await this.deleteRows(this.getQueryset().filter({ pk__in: objects.map((o) => o.pk) }), bulk)
  }

  /** Deletes every related object. */
  async clear(options: { bulk?: boolean } = {}): Promise<void> {
    await this.deleteRows(this.getQueryset(), options.bulk ?? true)
  }

  private async deleteRows(queryset: QuerySet<T>, bulk: boolean): Promise<void> {
    this.clearPrefetched()
    const db = this.writeDb
    const fresh = queryset.all().using(db)
    if (bulk) {
      await fresh.delete()
    } else {
      await atomic(async () => { for (const obj of await fresh) await obj.delete() }, { using: db, savepoint: false })
    }
  }

  /**
   * Makes the related set exactly `objects`: deletes related rows not in it and adds the others;
   * with `clear: true`, clears first.
   */
  async set(objects: T[], options: { bulk?: boolean; clear?: boolean } = {}): Promise<void> {
    const wanted = [...objects]
    const bulk = options.bulk ?? true
    const db = this.writeDb
    await atomic(async () => {
      if (options.clear) {
        await this.clear({ bulk })
        await this.add(...wanted, { bulk })
        return
      }
      const current = await this.getQueryset().all().using(db)
      const keep = new Set(wanted.map((o) => String(o.pk)))
      const stale = current.filter((o) => !keep.has(String(o.pk)))
      await this.remove(...stale)
      const have = new Set(current.map((o) => String(o.pk)))
      const missing = wanted.filter((o) => o.pk === null || o.pk === undefined || !have.has(String(o.pk)))
      if (missing.length > 0) await this.add(...missing, { bulk })
    }, { using: db, savepoint: false })
  }

  override toString(): string {
    return `<GenericRelatedObjectManager for ${this.ownerModel._meta.label}.${this.relation.name}>`
  }
}

function splitOptions<T>(args: Array<T | { bulk?: boolean }>): { objects: T[]; bulk: boolean } {
  const last = args[args.length - 1]
  const isOptions = last !== undefined && last !== null && typeof last === 'object' && !(last as { _isModel?: boolean })._isModel
  return { objects: (isOptions ? args.slice(0, -1) : args) as T[], bulk: (isOptions ? (last as { bulk?: boolean }).bulk : undefined) ?? true }
}
