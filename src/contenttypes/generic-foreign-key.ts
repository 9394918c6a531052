import {
  CheckError, DEFAULT_DB_ALIAS, Field, defineAccessor, FieldError, ForeignKey, ObjectDoesNotExist, matchKey,
  type CheckMessage, type Model, type PrefetchResult, type QuerySet,
} from '../db/index.ts'
import { ContentType } from './content-type.ts'

/** Options of a GenericForeignKey. */
export interface GenericForeignKeyOptions {
  /** Proxy models get their concrete model's content type (default true). */
  forConcreteModel?: boolean
}

/**
 * A relation to a row of any model: a ForeignKey to ContentType plus an object id field
 * (Django's GenericForeignKey). A private field with no column. `await item.contentObject` reads
 * through the cache; assigning (or passing it to the constructor) sets both fields.
 *
 * @example
 * class TaggedItem extends Model.define('tags.TaggedItem', {
 *   tag: f.slug(),
 *   contentType: f.foreignKey(() => ContentType, { onDelete: CASCADE }),
 *   objectId: f.positiveInteger(),
 *   contentObject: new GenericForeignKey('contentType', 'objectId'),
 * }) {}
 * const t = new TaggedItem({ tag: 'django', contentObject: bookmark }); await t.save()
 * await t.contentObject // bookmark, from the cache
 */
export class GenericForeignKey<T extends Model = Model> extends Field<T | null, T | null | PromiseLike<T | null>, T | null> {
  readonly internalType = 'GenericForeignKey'
  override readonly concrete = false
  override readonly isPrivate = true
  override readonly isRelation = true
  readonly forConcreteModel: boolean

  constructor(readonly ctField = 'contentType', readonly fkField = 'objectId', options: GenericForeignKeyOptions = {}) {
    super({ editable: false, blank: true, null: true })
    this.forConcreteModel = options.forConcreteModel ?? true
  }

  override contributeToClass(model: typeof Model, name: string): void {
    super.contributeToClass(model, name)
    this.column = ''
    defineAccessor(model, name, (instance) => this.getRelated(instance), (instance, value) => this.setRelated(instance, value))
  }

  override toString(): string {
    return this.model ? `${this.model._meta.label}.${this.name}` : '<GenericForeignKey>'
  }

  /** Lookups cannot go through a GenericForeignKey: Django's FieldError. */
  queryError(): FieldError {
    return new FieldError(
      `Field '${this.name}' does not generate an automatic reverse relation and therefore cannot be used for reverse querying. ` +
      'If it is a GenericForeignKey, consider adding a GenericRelation.')
  }

  private ctFieldCache: ForeignKey<any, any> | undefined
  private fkFieldCache: Field | undefined

  /** The ForeignKey to ContentType. */
  get contentTypeField(): ForeignKey<any, any> {
    return (this.ctFieldCache ??= this.model._meta.getField(this.ctField) as ForeignKey<any, any>)
  }

  /** The field holding the object id. */
  get objectIdField(): Field {
    return (this.fkFieldCache ??= this.model._meta.getField(this.fkField))
  }

  private databaseOf(instance: Model): string {
    return instance._state.db ?? DEFAULT_DB_ALIAS
  }

  /** The accessor's read, with Django's cache rules. */
  async getRelated(instance: Model): Promise<T | null> {
    // An object assigned while its content type was not cached yet: look the type up now.
    if (this.needsResolve(instance)) await this.resolveBeforeSave(instance, this.databaseOf(instance))
    const ctId = (instance as any)[this.contentTypeField.attname]
    const pkValue = (instance as any)[this.objectIdField.attname]
    const cache = instance._state.fieldsCache
    if (this.name in cache) {
      const cached = cache[this.name] as Model | null
      if (cached === null) return null
      if (await this.cachedStillMatches(cached, ctId, pkValue)) return cached as T
    }
    let found: Model | null = null
    if (ctId !== null && ctId !== undefined) {
      instance._state.assertCanLoad(this)
      const db = this.databaseOf(instance)
      const ct = await ContentType.objects.dbManager(db).getForId(ctId)
      const model = ct.modelClass()
      if (model && pkValue !== null && pkValue !== undefined) {
        try {
          found = await model._meta.baseManager.using(db).get({ pk: pkValue })
        } catch (error) {
          if (!(error instanceof ObjectDoesNotExist)) throw error
        }
      }
    }
    cache[this.name] = found
    return found as T | null
  }

  /** A cached object is still the target when its content type, then its key, match the fields. */
  private async cachedStillMatches(cached: Model, ctId: unknown, pkValue: unknown): Promise<boolean> {
    if (ctId === null || ctId === undefined) return false
    const ct = await ContentType.objects.dbManager(cached._state.db ?? DEFAULT_DB_ALIAS).getForModel(cached, { forConcreteModel: this.forConcreteModel })
    if (String(ct.id) !== String(ctId)) return false
    try {
      const pkField = (cached.constructor as typeof Model)._meta.pk
      return matchKey(pkField.toJs(pkValue)) === matchKey(cached.pk)
    } catch {
      return false
    }
  }

  /**
   * The accessor's write: sets the object id, the content type when it is cached (else on save),
   * and caches the object.
   */
  setRelated(instance: Model, value: unknown): void {
    const target = instance as any
    if (value === null || value === undefined) {
      target[this.contentTypeField.attname] = null
      target[this.objectIdField.attname] = null
      instance._state.fieldsCache[this.name] = null
      return
    }
    const object = value as Model
    if (!object || !(object as { _isModel?: boolean })._isModel) {
      throw new TypeError(`Cannot assign ${String(value)}: "${this.model._meta.objectName}.${this.name}" must be a model instance.`)
    }
    const ct = ContentType.objects.peekForModel(object, { forConcreteModel: this.forConcreteModel, using: object._state.db ?? DEFAULT_DB_ALIAS })
    target[this.contentTypeField.attname] = ct ? ct.id : null
    if (ct) instance._state.fieldsCache[this.contentTypeField.name] = ct
    else delete instance._state.fieldsCache[this.contentTypeField.name]
    target[this.objectIdField.attname] = object.pk ?? null
    instance._state.fieldsCache[this.name] = object
    if (instance._state.db === null && object._state.db !== null && instance._state.adding) instance._state.db = object._state.db
  }

  /** Whether an assignment left the content type to look up (it was not cached yet). */
  needsResolve(instance: Model): boolean {
    const ctId = (instance as any)[this.contentTypeField.attname]
    return (ctId === null || ctId === undefined) && instance._state.cachedList(this.name).length > 0
  }

  /** Before a save: look up the content type an assignment could not (it was not cached yet). */
  async resolveBeforeSave(instance: Model, using: string): Promise<void> {
    const object = instance._state.fieldsCache[this.name] as Model | null | undefined
    if (!object) return
    const target = instance as any
    if (target[this.contentTypeField.attname] === null || target[this.contentTypeField.attname] === undefined) {
      const ct = await ContentType.objects.dbManager(object._state.db ?? using).getForModel(object, { forConcreteModel: this.forConcreteModel })
      target[this.contentTypeField.attname] = ct.id
      instance._state.fieldsCache[this.contentTypeField.name] = ct
    }
  }

  /** Refuses to save an instance whose target is not saved (Django's message). */
  preSaveCheck(instance: Model, operation: string): void {
    if (!instance._state.hasCached(this.name)) return
    const object = instance._state.fieldsCache[this.name] as Model | null | undefined
    if (object && (object.pk === null || object.pk === undefined)) {
      throw new TypeError(`${operation}() prohibited to prevent data loss due to unsaved related object '${this.name}'.`)
    }
  }

  /**
   * Prefetch protocol: one query per content type among the instances (custom querysets from
   * GenericPrefetch replace the default for their type).
   */
  async getPrefetchQuerysets(instances: Model[], querysets?: QuerySet<any, any>[]): Promise<PrefetchResult> {
    // Content type ids compare as matchKey() makes them: 3 and '3' are one type.
    const custom = new Map<unknown, QuerySet<any, any>>()
    for (const queryset of querysets ?? []) {
      const ct = await ContentType.objects.dbManager(queryset.db).getForModel(queryset.model, { forConcreteModel: this.forConcreteModel })
      if (custom.has(matchKey(ct.id))) throw new TypeError('Only one queryset is allowed for each content type.')
      custom.set(matchKey(ct.id), queryset)
    }
    const groups = new Map<unknown, { ctId: unknown; ids: Set<unknown>; db: string }>()
    const ctAttname = this.contentTypeField.attname
    const idAttname = this.objectIdField.attname
    // Rows mostly come grouped by type: the previous row's group is tried first.
    let groupCtId: unknown
    let lastGroup: { ctId: unknown; ids: Set<unknown>; db: string } | undefined
    for (const instance of instances) {
      const ctId = (instance as any)[ctAttname]
      const objectId = (instance as any)[idAttname]
      if (ctId === null || ctId === undefined || objectId === null || objectId === undefined) continue
      let group = ctId === groupCtId ? lastGroup : undefined
      if (!group) {
        const ctKey = matchKey(ctId)
        group = groups.get(ctKey)
        if (!group) groups.set(ctKey, (group = { ctId, ids: new Set(), db: this.databaseOf(instance) }))
        groupCtId = ctId
        lastGroup = group
      }
      group.ids.add(objectId)
    }
    // The content types of every group in one query (per database) for those not cached.
    const idsByDb = new Map<string, number[]>()
    for (const group of groups.values()) {
      const ids = idsByDb.get(group.db)
      if (ids) ids.push(group.ctId as number)
      else idsByDb.set(group.db, [group.ctId as number])
    }
    const typesByDb = new Map<string, Map<number, ContentType>>()
    for (const [db, ids] of idsByDb) typesByDb.set(db, await ContentType.objects.dbManager(db).getForIds(ids))
    const objects: Model[] = []
    const modelByCt = new Map<unknown, typeof Model>()
    for (const [ctKey, group] of groups) {
      const ct = typesByDb.get(group.db)!.get(group.ctId as number)
      if (!ct) throw new ContentType.DoesNotExist('ContentType matching query does not exist.')
      const model = ct.modelClass()
      if (!model) continue
      modelByCt.set(ctKey, model)
      const pk = model._meta.pk
      const ids: unknown[] = []
      for (const id of group.ids) {
        // Same-typed keys (an integer object id for an integer key) need no conversion.
        if (typeof id === 'number' && pk.autoCreatedValue) ids.push(id)
        else try { ids.push(pk.toJs(id)) } catch { /* an id the key cannot hold matches nothing */ }
      }
      if (ids.length === 0) continue
      const queryset = custom.get(ctKey) ?? model._meta.baseManager.getQueryset().usingIfUnset(group.db)
      objects.push(...await queryset.filter({ pk__in: ids }).fetch())
    }
    // The model of an instance's content type, asked twice per instance (group, then key): the
    // previous answer is kept, as rows mostly come grouped by type.
    let lastCtId: unknown
    let lastModel: typeof Model | undefined
    const modelOf = (instance: Model): typeof Model | undefined => {
      const ctId = (instance as any)[ctAttname]
      if (ctId !== lastCtId || lastModel === undefined) {
        lastModel = modelByCt.get(matchKey(ctId))
        lastCtId = ctId
      }
      return lastModel
    }
    return {
      objects,
      relatedGroup: (object) => (object.constructor as typeof Model)._meta,
      relatedKey: (object) => object.pk,
      instanceGroup: (instance) => modelOf(instance)?._meta,
      instanceKey: (instance) => {
        const model = modelOf(instance)
        if (!model) return null
        const objectId = (instance as any)[idAttname]
        try {
          // Same-typed keys (an integer object id for an integer key) need no conversion.
          return typeof objectId === 'number' && model._meta.pk.autoCreatedValue ? objectId : model._meta.pk.toJs(objectId)
        } catch {
          return null
        }
      },
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

  /** contenttypes.E001–E004 and the field-name checks, as Django reports them. */
  check(): CheckMessage[] {
    const messages: CheckMessage[] = [...checkFieldName(this)]
    const meta = this.model._meta
    if (!meta.findField(this.fkField)) {
      messages.push(new CheckError(`The GenericForeignKey object ID references the nonexistent field '${this.fkField}'.`, { obj: this, id: 'contenttypes.E001' }))
    }
    const ctField = meta.findField(this.ctField)
    const hint = "GenericForeignKeys must use a ForeignKey to 'contenttypes.ContentType' as the 'content_type' field."
    if (!ctField) {
      messages.push(new CheckError(`The GenericForeignKey content type references the nonexistent field '${meta.objectName}.${this.ctField}'.`, { obj: this, id: 'contenttypes.E002' }))
    } else if (!(ctField instanceof ForeignKey)) {
      messages.push(new CheckError(`'${meta.objectName}.${this.ctField}' is not a ForeignKey.`, { obj: this, id: 'contenttypes.E003', hint }))
    } else {
      let target: typeof Model | undefined
      try { target = ctField.relatedModel } catch { target = undefined }
      if (target !== ContentType) {
        messages.push(new CheckError(`'${meta.objectName}.${this.ctField}' is not a ForeignKey to 'contenttypes.ContentType'.`, { obj: this, id: 'contenttypes.E004', hint }))
      }
    }
    return messages
  }
}

/** fields.E001–E003: names that cannot work in lookups. */
export function checkFieldName(field: Field): CheckMessage[] {
  if (field.name.endsWith('_')) return [new CheckError('Field names must not end with an underscore.', { obj: field, id: 'fields.E001' })]
  if (field.name.includes('__')) return [new CheckError('Field names must not contain "__".', { obj: field, id: 'fields.E002' })]
  if (field.name === 'pk') return [new CheckError("'pk' is a reserved word that cannot be used as a field name.", { obj: field, id: 'fields.E003' })]
  return []
}
