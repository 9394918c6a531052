import { sql, type RawBuilder } from 'kysely'
import {
  CheckError, DEFAULT_DB_ALIAS, Field, defineAccessor, ImproperlyConfigured, Q, apps as globalApps, matchKey,
  type CheckMessage, type JoinExtra, type Model, type PathStep, type PrefetchResult, type QuerySet,
} from '../db/index.ts'
import { ContentType } from './content-type.ts'
import { GenericForeignKey, checkFieldName } from './generic-foreign-key.ts'
import { GenericRelatedObjectManager } from './generic-related-manager.ts'

/** Options of a GenericRelation. */
export interface GenericRelationOptions {
  /** The related model's ForeignKey to ContentType (default 'contentType'). */
  contentTypeField?: string
  /** The related model's object id field (default 'objectId'). */
  objectIdField?: string
  /** Proxy owners use their concrete model's content type (default true). */
  forConcreteModel?: boolean
  /** The name the related model uses to filter back to this one (`TaggedItem.objects.filter({ bookmark__url: … })`). */
  relatedQueryName?: string
}

type ModelThunk<T extends Model> = () => abstract new (...args: any[]) => T

/** Text-like internal types: an object id of these kinds is compared as text. */
const textTypes = new Set(['CharField', 'TextField', 'SlugField', 'URLField', 'EmailField'])

/** `(SELECT id FROM django_content_type WHERE app_label = … AND model = …)` for a model. */
function contentTypeIdSubquery(model: typeof Model, forConcreteModel: boolean): RawBuilder<unknown> {
  const meta = forConcreteModel ? model._meta.concreteModel._meta : model._meta
  const types = ContentType._meta
  const column = (name: string) => sql.ref(types.getField(name).column)
  return sql`(SELECT ${column('id')} FROM ${sql.table(types.dbTable)} WHERE ${column('appLabel')} = ${meta.appLabel} AND ${column('model')} = ${meta.modelName})`
}

/**
 * The reverse side of a GenericForeignKey (Django's GenericRelation): `owner.tags` is a manager of
 * the related rows pointing at the owner; lookups traverse it (`Bookmark.objects.filter({ tags__tag: 'django' })`),
 * aggregates count it, and deleting the owner deletes those rows.
 *
 * @example
 * class Bookmark extends Model.define('bookmarks.Bookmark', {
 *   url: f.url(),
 *   tags: new GenericRelation(() => TaggedItem, { relatedQueryName: 'bookmark' }),
 * }) {}
 * await bookmark.tags.create({ tag: 'django' })
 */
export class GenericRelation<T extends Model = Model> extends Field<never, GenericRelatedObjectManager<T>, never> {
  readonly internalType = 'GenericRelation'
  override readonly concrete = false
  override readonly isPrivate = true
  override readonly isRelation = true
  readonly contentTypeFieldName: string
  readonly objectIdFieldName: string
  readonly forConcreteModel: boolean
  readonly relatedQueryName: string | undefined
  private resolved: typeof Model | undefined

  constructor(readonly to: ModelThunk<T> | string, options: GenericRelationOptions = {}) {
    super({ editable: false, blank: true, null: true })
    this.contentTypeFieldName = options.contentTypeField ?? 'contentType'
    this.objectIdFieldName = options.objectIdField ?? 'objectId'
    this.forConcreteModel = options.forConcreteModel ?? true
    this.relatedQueryName = options.relatedQueryName
  }

  override contributeToClass(model: typeof Model, name: string): void {
    super.contributeToClass(model, name)
    this.column = ''
    defineAccessor(model, name, (instance) => new GenericRelatedObjectManager<T>(instance, this))
  }

  /** The model holding the generic foreign key. */
  get relatedModel(): typeof Model {
    if (!this.resolved) {
      if (typeof this.to === 'string') {
        const label = this.to.includes('.') ? this.to : `${this.model._meta.appLabel}.${this.to}`
        this.resolved = (this.model._meta.apps ?? globalApps).getModel(label)
      } else {
        this.resolved = (this.to as unknown as () => typeof Model)()
      }
      if (!this.resolved?._meta) throw new ImproperlyConfigured(`${this.describe()}: the reference did not give a model class.`)
    }
    return this.resolved
  }

  private objectIdFieldCache: Field | undefined
  private contentTypeFieldCache: Field | undefined

  get objectIdField(): Field {
    return (this.objectIdFieldCache ??= this.relatedModel._meta.getField(this.objectIdFieldName))
  }

  get contentTypeField(): Field {
    return (this.contentTypeFieldCache ??= this.relatedModel._meta.getField(this.contentTypeFieldName))
  }

  /** The owner's content type on a database (looked up, and created if missing). */
  contentTypeFor(model: typeof Model, using: string): Promise<ContentType> {
    return ContentType.objects.dbManager(using).getForModel(model, { forConcreteModel: this.forConcreteModel })
  }

  /**
   * The owner model's content type id as a condition: the cached id, or, when the cache has not
   * got it, a subquery on the content type table by natural key (unique: one id or none; none
   * matches nothing, also under NOT, where the compiler uses IN). Django looks the type up first;
   * the subquery spares that round trip, and reads never create content types.
   */
  contentTypeCondition(model: typeof Model, column: string, onParent: boolean): JoinExtra {
    const forConcreteModel = this.forConcreteModel
    return {
      column,
      onParent,
      key: `ct:${model._meta.label}:${forConcreteModel}:${column}:${onParent}`,
      value: (alias) => {
        const ct = ContentType.objects.peekForModel(model, { forConcreteModel, using: alias })
        return ct ? ct.id : contentTypeIdSubquery(model, forConcreteModel)
      },
    }
  }

  /** Whether the object id is text while the owner's key is not: joins then compare as text. */
  private textTypeFor(keyField: Field): string | undefined {
    return textTypes.has(this.objectIdField.internalType) && !textTypes.has(keyField.internalType) ? keyField.internalType : undefined
  }

  /** The query path owner → related rows: multi-valued, with the content type in the ON clause. */
  pathStep(): PathStep {
    const related = this.relatedModel
    const ownerPk = this.model._meta.pk
    return {
      model: related,
      parentColumn: ownerPk.column,
      column: this.objectIdField.column,
      multiValued: true,
      nullable: true,
      targetField: related._meta.pk,
      backField: this.objectIdField,
      parentField: ownerPk,
      extra: this.contentTypeCondition(this.model, this.contentTypeField.column, false),
      parentText: this.textTypeFor(ownerPk),
    }
  }

  /** The query path back, related rows → owner, registered under `relatedQueryName`. */
  reverseStep(): PathStep {
    const ownerPk = this.model._meta.pk
    const text = this.textTypeFor(ownerPk)
    return {
      model: this.model,
      parentColumn: this.objectIdField.column,
      column: ownerPk.column,
      multiValued: true,
      nullable: true,
      targetField: ownerPk,
      backField: ownerPk,
      parentField: this.objectIdField,
      extra: this.contentTypeCondition(this.model, this.contentTypeField.column, true),
      childText: text,
    }
  }

  /** Registers the reverse query name (and accessor) on the related model, when apps are installed. */
  contributeToRelatedClass(): void {
    // A proxy's copy keeps no reverse name of its own (the parent's points at the same rows).
    if ((this as { proxyCopy?: boolean }).proxyCopy) return
    let related: typeof Model
    try { related = this.relatedModel } catch { return }
    const name = this.relatedQueryName
    if (!name) return
    const field = this
    related._meta.addReverseStep({ name, pathStep: () => field.reverseStep() })
    if (!(name in related.prototype)) {
      defineAccessor(related, name, (instance) => field.model._meta.defaultManager.filter({ [field.name]: instance.pk }))
    }
  }

  /** Deletion (the Collector's hook): the related rows of the owners of a model with these keys. */
  bulkRelatedObjects(model: typeof Model, keys: unknown[], using: string): QuerySet<any> {
    return this.relatedModel._meta.baseManager.using(using)
      .filter({ [`${this.objectIdFieldName}__in`]: keys })
      .withExtraCondition(this.contentTypeCondition(model, this.contentTypeField.column, false))
  }

  /**
   * Prefetch protocol (owner.tags): one query for every instance, even of several models, OR-ing
   * (content type, object ids) per model.
   */
  async getPrefetchQuerysets(instances: Model[], querysets?: QuerySet<any, any>[]): Promise<PrefetchResult> {
    if (querysets && querysets.length > 1) throw new TypeError('querysets argument of getPrefetchQuerysets() should have a length of 1.')
    const db = instances[0]?._state.db ?? DEFAULT_DB_ALIAS
    const base = (querysets?.[0] ?? this.relatedModel._meta.defaultManager.getQueryset()).usingIfUnset(db)
    const idAttname = this.objectIdField.attname
    const model = instances[0]?.constructor as typeof Model | undefined
    if (model && instances.every((instance) => instance.constructor === model)) {
      // Owners of one model (the usual case): one content type, as a condition; no lookup first.
      const objects = await base
        .filter({ [`${this.objectIdFieldName}__in`]: instances.map((instance) => instance.pk) })
        .withExtraCondition(this.contentTypeCondition(model, this.contentTypeField.column, false))
        .fetch()
      return { objects, relatedKey: (object) => (object as any)[idAttname], instanceKey: (instance) => instance.pk, single: false, cacheName: this.name }
    }
    const byCt = new Map<string, { ctId: number; pks: unknown[] }>()
    const ctOfClass = new Map<typeof Model, ContentType>()
    for (const instance of instances) {
      const model = instance.constructor as typeof Model
      let ct = ctOfClass.get(model)
      if (!ct) ctOfClass.set(model, (ct = await this.contentTypeFor(model, db)))
      const group = byCt.get(String(ct.id)) ?? { ctId: ct.id, pks: [] }
      group.pks.push(instance.pk)
      byCt.set(String(ct.id), group)
    }
    let condition: Q | undefined
    for (const group of byCt.values()) {
      const one = new Q({ [`${this.contentTypeFieldName}__pk`]: group.ctId, [`${this.objectIdFieldName}__in`]: group.pks })
      condition = condition ? condition.or(one) : one
    }
    const objects = condition ? await base.filter(condition).fetch() : []
    const ctAttname = this.contentTypeField.attname
    return {
      objects,
      // Content type ids compare as matchKey() makes them (3 and '3' are one type).
      relatedGroup: (object) => matchKey((object as any)[ctAttname]),
      relatedKey: (object) => (object as any)[idAttname],
      instanceGroup: (instance) => matchKey(ctOfClass.get(instance.constructor as typeof Model)!.id),
      instanceKey: (instance) => instance.pk,
      single: false,
      cacheName: this.name,
    }
  }

  isCached(instance: Model): boolean {
    return instance._state.hasPrefetched(this.name)
  }

  cachedObjects(instance: Model): Model[] {
    return instance._state.prefetchedList(this.name)
  }

  /** contenttypes.E004 when the related model has no matching GenericForeignKey, plus name and target checks. */
  check(): CheckMessage[] {
    const messages: CheckMessage[] = [...checkFieldName(this)]
    let related: typeof Model
    try {
      related = this.relatedModel
    } catch {
      const label = typeof this.to === 'string' ? this.to : '?'
      return [...messages, new CheckError(`Field defines a relation with model '${label}', which is either not installed, or is abstract.`, { obj: this, id: 'fields.E300' })]
    }
    const matches = related._meta.privateFields.some((f) =>
      f instanceof GenericForeignKey && f.ctField === this.contentTypeFieldName && f.fkField === this.objectIdFieldName)
    if (!matches) {
      messages.push(new CheckError(
        `The GenericRelation defines a relation with the model '${related._meta.label}', but that model does not have a GenericForeignKey.`,
        { obj: this, id: 'contenttypes.E004' }))
    }
    return messages
  }
}
