import type { Model } from './model.ts'
import type { ReverseRelation } from './fields/reverse-relation.ts'
import { Manager } from './manager.ts'
import { QuerySet } from './queryset.ts'
import { atomic } from './transaction.ts'
import { dbForWrite } from './routers.ts'
import { isStrictRelations } from './model-state.ts'
import { RelatedObjectNotLoaded } from './model-state.ts'

/**
 * The manager behind a reverse foreign key accessor (`author.books`): the related model's default
 * queryset restricted to rows pointing at one instance, plus Django's add, create, remove, clear
 * and set. Declare its type on the target model: `declare books: RelatedManager<Book>`.
 *
 * @example
 * await author.books.create({ title: 'Dune' })
 * await author.books.filter({ pages__gt: 300 }).count()
 * await author.books.set([book1, book2])
 */
export class RelatedManager<M extends Model> extends Manager<M> {
  constructor(readonly instance: Model, readonly relation: ReverseRelation) {
    super()
    this.bind(relation.relatedModel, relation.accessorName, false)
  }

  private get fk() {
    return this.relation.field
  }

  /** The key value the related rows store (the instance's target field). */
  private get keyValue(): unknown {
    return (this.instance as any)[this.fk.targetField.attname]
  }

  private get cacheName(): string {
    return this.relation.accessorName
  }

  private assertSaved(): void {
    if (this.keyValue === null || this.keyValue === undefined) {
      throw new TypeError(
        `"${this.instance}" needs to have a value for field "${this.fk.targetField.attname}" before this relationship can be used.`)
    }
  }

  override getQueryset(): QuerySet<M> {
    this.assertSaved()
    const cached = this.instance._state.getPrefetched(this.cacheName)
    if (cached) return QuerySet.prefetched(this.relation.relatedModel, cached as M[], () => this.buildQueryset())
    return this.buildQueryset()
  }

  private buildQueryset(): QuerySet<M> {
    const base = (this.instance._state.prefetchedQuerysets[this.cacheName] as QuerySet<M> | undefined)
      ?? (this.relation.relatedModel._meta.defaultManager as Manager<M>).getQueryset()
    const db = this.instance._state.db ?? undefined
    return base.usingIfUnset(db).filter({ [this.fk.name]: this.keyValue }).knownRelated(this.fk.name, this.instance)
  }

  /** Every related row; prefetched rows when `prefetchRelated()` loaded them. */
  override all(): QuerySet<M> {
    if (!this.instance._state.getPrefetched(this.cacheName) && isStrictRelations()) {
      throw new RelatedObjectNotLoaded(
        `${this.instance.constructor.name}.${this.cacheName} is not loaded and strict mode forbids a query here. ` +
        `Load it with prefetchRelated('${this.cacheName}').`)
    }
    return this.getQueryset()
  }

  /** Creates a related row pointing at the instance. */
  override async create(values: Record<string, unknown> = {}): Promise<M> {
    this.assertSaved()
    this.forgetPrefetched()
    return this.getQueryset().using(this.writeDb).create({ ...values, [this.fk.name]: this.instance })
  }

  /**
   * Points the given objects at the instance. With `bulk` (the default) one UPDATE, for saved
   * objects only; with `bulk: false` each object is saved.
   */
  async add(...args: Array<M | { bulk?: boolean }>): Promise<void> {
    const { objects, bulk } = splitOptions<M>(args)
    this.assertSaved()
    const model = this.relation.relatedModel
    for (const obj of objects) {
      if (!(obj instanceof model._meta.concreteModel)) {
        throw new TypeError(`'${model._meta.objectName}' instance expected, got ${String(obj)}`)
      }
    }
    const db = this.writeDb
    if (bulk) {
      for (const obj of objects) {
        if (obj._state.adding || obj._state.db !== db) {
          throw new TypeError(`${String(obj)} instance isn't saved. Use bulk: false or save the object first.`)
        }
      }
      for (const obj of objects) (obj as any)[this.fk.name] = this.instance
      if (objects.length === 0) return
      await model._meta.baseManager.using(db).filter({ pk__in: objects.map((o) => o.pk) }).update({ [this.fk.name]: this.keyValue })
    } else {
      await atomic(async () => {
        for (const obj of objects) {
          ;(obj as any)[this.fk.name] = this.instance
          await obj.save({ using: db })
        }
      }, { using: db, savepoint: false })
    }
    this.forgetPrefetched()
  }

  /** Detaches the given objects (sets the key to NULL); only for nullable foreign keys. */
  async remove(...args: Array<M | { bulk?: boolean }>): Promise<void> {
    this.assertNullable('remove')
    const { objects, bulk } = splitOptions<M>(args)
    const key = this.keyValue
    for (const obj of objects) {
      if ((obj as any)[this.fk.attname] !== key) {
        throw new Error(`${String(obj)} is not related to ${String(this.instance)}.`)
      }
    }
    await this.detach(this.getQueryset().filter({ pk__in: objects.map((o) => o.pk) }), objects, bulk)
  }

  /** Detaches every related object; only for nullable foreign keys. */
  async clear(options: { bulk?: boolean } = {}): Promise<void> {
    this.assertNullable('clear')
    await this.detach(this.getQueryset(), undefined, options.bulk ?? true)
  }

  /**
   * Makes the related set exactly `objects`: removes the others (nullable keys) and adds the
   * missing ones; with `clear: true`, clears first.
   */
  async set(objects: M[], options: { bulk?: boolean; clear?: boolean } = {}): Promise<void> {
    const bulk = options.bulk ?? true
    const db = this.writeDb
    // Without a nullable key nothing can be detached: set() only adds.
    if (!this.fk.null) return this.add(...objects, { bulk })
    await atomic(async () => {
      if (options.clear) {
        await this.clear({ bulk })
        await this.add(...objects, { bulk })
        return
      }
      // Re-read where the writes go, as Django (not the owner's database, nor a stale prefetch).
      const current = await this.getQueryset().using(db)
      const wanted = new Set(objects.map((o) => String(o.pk)))
      const stale = current.filter((o) => !wanted.has(String(o.pk)))
      if (this.fk.null && stale.length > 0) await this.remove(...stale, { bulk })
      const have = new Set(current.map((o) => String(o.pk)))
      const missing = objects.filter((o) => o.pk === null || o.pk === undefined || !have.has(String(o.pk)))
      if (missing.length > 0) await this.add(...missing, { bulk })
    }, { using: db, savepoint: false })
  }

  /** Where writes go: the router's choice for the related model, hinted with the owner (Django's db_for_write). */
  private get writeDb(): string {
    return dbForWrite(this.relation.relatedModel, { instance: this.instance })
  }

  private forgetPrefetched(): void {
    delete this.instance._state.prefetchedObjectsCache[this.cacheName]
    delete this.instance._state.prefetchedQuerysets[this.cacheName]
  }

  private assertNullable(operation: string): void {
    if (!this.fk.null) {
      throw new TypeError(
        `${this.relation.relatedModel._meta.objectName}.${this.fk.name} is not nullable, so ${operation}() is not available: ` +
        `delete the objects instead, or declare the foreign key with null: true.`)
    }
  }

  private async detach(qs: QuerySet<M>, objects: M[] | undefined, bulk: boolean): Promise<void> {
    const db = this.writeDb
    if (bulk) {
      await qs.using(db).update({ [this.fk.name]: null })
      for (const obj of objects ?? []) (obj as any)[this.fk.name] = null
    } else {
      await atomic(async () => {
        for (const obj of objects ?? await qs.using(db)) {
          ;(obj as any)[this.fk.name] = null
          await obj.save({ updateFields: [this.fk.name], using: db })
        }
      }, { using: db, savepoint: false })
    }
    this.forgetPrefetched()
  }
}

function splitOptions<M>(args: Array<M | { bulk?: boolean }>): { objects: M[]; bulk: boolean } {
  const last = args[args.length - 1]
  const isOptions = last !== undefined && last !== null && typeof last === 'object' && !(last as { _isModel?: boolean })._isModel
  const options = isOptions ? (last as { bulk?: boolean }) : {}
  const objects = (isOptions ? args.slice(0, -1) : args) as M[]
  return { objects, bulk: options.bulk ?? true }
}
