import { Field, defineAccessor, toSnakeCase, type FieldOptions, type PlainBinding } from './field.ts'
import type { OnDeletePolicy } from '../deletion-policies.ts'
import type { ColumnDescription } from '../backends/backend.ts'
import type { Model } from '../model.ts'
import { resolveModelReference, type ModelReference } from '../apps/model-reference.ts'
import { repr } from '../errors.ts'
import type { QuerySet } from '../queryset.ts'
import type { PrefetchResult } from '../prefetch.ts'
import { ReverseRelation } from './reverse-relation.ts'
import { allowRelation, dbForWrite } from '../routers.ts'
import { RelatedManager } from '../related-manager.ts'

/** Options of a ForeignKey. */
export interface ForeignKeyOptions extends FieldOptions<unknown> {
  onDelete: OnDeletePolicy
  /** The name of the reverse manager on the target (`author.books`); `'+'` for none. */
  relatedName?: string
  /** The name used to filter from the target (`Author.objects.filter({ book__title: … })`). */
  relatedQueryName?: string
  /** The target field, when not its primary key. */
  toField?: string
  /** Create the database constraint (default true). */
  dbConstraint?: boolean
}

/** A model class, as a ForeignKey's target. */
type AnyModelClass = abstract new (...args: any[]) => Model

/**
 * A many-to-one relation: a `<name>_id` column with a foreign key constraint, the `<name>Id`
 * attribute, and an awaitable `<name>` accessor that loads (and caches) the related object.
 *
 * @example
 * class Book extends Model.define('library.Book', {
 *   author: f.foreignKey(() => Author, { onDelete: CASCADE, relatedName: 'books' }),
 * }) {}
 * const book = await Book.objects.get({ pk: 1 })
 * book.authorId          // 7
 * const author = await book.author
 */
export class ForeignKey<TRelated extends Model | null = Model, TId = unknown>
  extends Field<TRelated, TRelated | PromiseLike<TRelated>, TRelated> {
  declare readonly __related: TRelated
  /** The type of the `<name>Id` attribute. */
  declare readonly __id: TId
  readonly internalType = 'ForeignKey'
  override readonly isRelation = true
  readonly onDelete: OnDeletePolicy
  readonly relatedNameOption: string | undefined
  readonly relatedQueryNameOption: string | undefined
  readonly toFieldOption: string | undefined
  readonly dbConstraint: boolean
  private relatedModelCache: typeof Model | undefined

  constructor(readonly to: ModelReference, options: ForeignKeyOptions) {
    super({ dbIndex: true, ...options } as FieldOptions<TRelated>)
    if (!options || !options.onDelete || typeof options.onDelete.name !== 'string') {
      throw new TypeError('A foreign key needs onDelete: CASCADE, PROTECT, RESTRICT, SET_NULL, SET_DEFAULT, SET(value) or DO_NOTHING.')
    }
    this.onDelete = options.onDelete
    this.relatedNameOption = options.relatedName
    this.relatedQueryNameOption = options.relatedQueryName
    this.toFieldOption = options.toField
    this.dbConstraint = options.dbConstraint ?? true
  }

  protected override attnameFor(name: string): string {
    return `${name}Id`
  }

  protected override columnFor(name: string): string {
    return `${toSnakeCase(name)}_id`
  }

  override contributeToClass(model: typeof Model, name: string): void {
    super.contributeToClass(model, name)
    defineAccessor(model, name, (instance) => this.getRelated(instance), (instance, value) => this.setRelated(instance, value))
  }

  /**
   * Registers the reverse relation on the target and its accessor (`author.books`), once the
   * target can be resolved (when apps are installed).
   */
  contributeToRelatedClass(): void {
    let related: typeof Model
    try {
      related = this.relatedModel
    } catch {
      return // An unresolvable target is reported by the system checks and on first use.
    }
    const target = related._meta.concreteModel
    const relation = new ReverseRelation(this)
    target._meta.addRelatedObject(relation)
    if (relation.hidden) return
    const registered = target._meta.relatedObjects.find((r) => r.field === this)!
    defineAccessor(target, relation.accessorName, (instance) => new RelatedManager(instance, registered))
  }

  /** The target model, resolved on first use. */
  get relatedModel(): typeof Model {
    if (!this.relatedModelCache) {
      this.relatedModelCache = resolveModelReference(this.to, this.model, `${this.describe()}`)
    }
    return this.relatedModelCache
  }

  /** The field of the target that the key stores (its primary key unless `toField`). */
  get targetField(): Field {
    const meta = this.relatedModel._meta
    return this.toFieldOption ? meta.getField(this.toFieldOption) : meta.pk
  }

  override get columnDescription(): ColumnDescription {
    const target = this.targetField
    return { ...target.columnDescription, internalType: target.relDbInternalType() }
  }

  override toJs(value: unknown): TRelated | null {
    return this.targetField.toJs(value) as TRelated | null
  }

  override fromDb(value: unknown): TRelated | null {
    return this.targetField.fromDb(value) as TRelated | null
  }

  override getDbPrepValue(value: unknown): unknown {
    return this.targetField.getDbPrepValue(value)
  }

  /** The target field's: a key is written as the value it refers to. */
  override plainBinding(): PlainBinding | undefined {
    return this.getDbPrepValue === ForeignKey.prototype.getDbPrepValue && this.getDbPrepSave === Field.prototype.getDbPrepSave
      ? this.targetField.plainBinding()
      : undefined
  }

  /** The accessor's read: a promise of the related object, from the cache when it still matches. */
  getRelated(instance: Model): Promise<TRelated | null> {
    if (instance._state.deferredFields?.has(this.name)) {
      return instance.refreshFromDb({ fields: [this.name] }).then(() => this.getRelated(instance))
    }
    const id = (instance as any)[this.attname]
    const cache = instance._state.fieldsCache
    if (this.name in cache) {
      const cached = cache[this.name] as Model | null
      if (cached === null ? id === null || id === undefined : (cached as any)[this.targetField.attname] === id) {
        return Promise.resolve(cached as TRelated | null)
      }
    }
    if (id === null || id === undefined) return Promise.resolve(null)
    return this.loadRelated(instance, id)
  }

  private async loadRelated(instance: Model, id: unknown): Promise<TRelated | null> {
    instance._state.assertCanLoad(this)
    const related = this.relatedModel
    const found = await related._meta.baseManager
      .using(instance._state.db ?? undefined)
      .filter({ [this.targetField.name]: id })
      .first()
    if (!found) {
      throw new related.DoesNotExist(`${this.model._meta.objectName} has no ${this.name}.`)
    }
    instance._state.fieldsCache[this.name] = found
    return found as TRelated
  }

  /** Prefetch protocol: loads the related object of every instance in one query. */
  async getPrefetchQuerysets(instances: Model[], querysets?: QuerySet<any, any>[]): Promise<PrefetchResult> {
    const target = this.targetField
    const keys = [...new Set(instances.map((i) => (i as any)[this.attname]).filter((k) => k !== null && k !== undefined))]
    const queryset = (querysets?.[0] ?? this.relatedModel._meta.baseManager.getQueryset()).usingIfUnset(instances[0]?._state.db ?? undefined)
    const objects = keys.length === 0 ? [] : await queryset.filter({ [`${target.name}__in`]: keys }).fetch()
    return {
      objects,
      relatedKey: (o) => (o as any)[target.attname],
      instanceKey: (i) => (i as any)[this.attname],
      single: true,
      cacheName: this.name,
    }
  }

  isCached(instance: Model): boolean {
    return instance._state.hasCached(this.name)
  }

  cachedObjects(instance: Model): Model[] {
    return instance._state.cachedList(this.name)
  }

  /** The accessor's write: stores the related object's key and caches the object. */
  setRelated(instance: Model, value: unknown): void {
    if (value === null || value === undefined) {
      ;(instance as any)[this.attname] = null
      instance._state.fieldsCache[this.name] = null
      return
    }
    const related = this.relatedModel
    const concrete = related._meta.concreteModel
    if (!(value instanceof concrete)) {
      throw new TypeError(
        `Cannot assign "${instanceRepr(value)}": "${this.model._meta.objectName}.${this.name}" must be a "${related._meta.objectName}" instance.`)
    }
    const other = value as Model
    // Like Django: an instance with no database yet follows its related object's, and back.
    if (instance._state.db === null) instance._state.db = dbForWrite(this.model, { instance: other })
    else if (other._state.db === null) other._state.db = dbForWrite(related, { instance })
    if (!allowRelation(other, instance)) {
      throw new TypeError(`Cannot assign "${instanceRepr(value)}": the current database router prevents this relation.`)
    }
    ;(instance as any)[this.attname] = (value as any)[this.targetField.attname]
    instance._state.fieldsCache[this.name] = value
  }
}

/** Python's repr of a value in Django's messages: `<Author: Ursula>` for an instance. */
export function instanceRepr(value: unknown): string {
  if (value !== null && typeof value === 'object' && (value as { _isModel?: boolean })._isModel) {
    return `<${(value.constructor as typeof Model)._meta?.objectName ?? value.constructor.name}: ${String(value)}>`
  }
  return repr(value)
}

export type { AnyModelClass }
