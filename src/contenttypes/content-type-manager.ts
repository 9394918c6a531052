import { Manager, Q, dbForRead, type Model } from '../db/index.ts'
import type { ContentType } from './content-type.ts'

type ModelOrInstance = typeof Model | Model

function modelOf(value: ModelOrInstance): typeof Model {
  return (typeof value === 'function' ? value : value.constructor) as typeof Model
}

/** The (app label, model name) key of a model, concrete or not. */
function naturalKeyOf(model: typeof Model, forConcreteModel: boolean): [string, string] {
  const meta = forConcreteModel ? model._meta.concreteModel._meta : model._meta
  return [meta.appLabel, meta.modelName]
}

/** A cached content type of a model class, with a settled promise of it for getForModel(). */
interface ModelEntry {
  readonly type: ContentType
  readonly settled: Promise<ContentType>
}

/** One database's cache: each content type under its natural key and its id. */
interface AliasCache {
  byKey: Map<string, ContentType>
  byId: Map<string, ContentType>
  /**
   * Settled promises by model class (for the concrete model, and for the model itself), so a
   * warm getForModel() is two Map lookups by object identity and allocates nothing.
   */
  concreteByModel: Map<typeof Model, ModelEntry>
  ownByModel: Map<typeof Model, ModelEntry>
}

/**
 * `ContentType.objects`: looks content types up by model, id or natural key, creating missing
 * ones for models, and caches them per database alias (Django's ContentTypeManager). A warm
 * lookup issues no query. `dbManager(alias)` copies share the cache.
 *
 * @example
 * const ct = await ContentType.objects.getForModel(Bookmark)
 * await ContentType.objects.getForId(ct.id)           // no query: cached
 */
export class ContentTypeManager extends Manager<ContentType> {
  private cache = new Map<string, AliasCache>()

  /** The alias this manager reads and caches under: its own, or the router's read database. */
  private get cacheAlias(): string {
    return this.db ?? dbForRead(this.model)
  }

  // The alias last asked for and its cache: nearly every lookup is for the same alias.
  private lastAlias: string | undefined
  private lastCache: AliasCache | undefined

  private cacheFor(alias: string): AliasCache {
    if (alias === this.lastAlias) return this.lastCache!
    let entry = this.cache.get(alias)
    if (!entry) this.cache.set(alias, (entry = { byKey: new Map(), byId: new Map(), concreteByModel: new Map(), ownByModel: new Map() }))
    this.lastAlias = alias
    this.lastCache = entry
    return entry
  }

  private addToCache(alias: string, ct: ContentType): void {
    const entry = this.cacheFor(alias)
    const key = `${ct.appLabel}.${ct.model}`
    const previous = entry.byKey.get(key)
    entry.byKey.set(key, ct)
    entry.byId.set(String(ct.id), ct)
    if (previous && previous !== ct) {
      // A type read again (recreated, say): the per-class entries are remade from byKey.
      entry.concreteByModel.clear()
      entry.ownByModel.clear()
    }
  }

  /** Empties the cache of every alias. */
  clearCache(): void {
    // Emptied in place, never dropped: dbManager() copies and lastCache keep pointing at them.
    for (const entry of this.cache.values()) {
      entry.byKey.clear()
      entry.byId.clear()
      entry.concreteByModel.clear()
      entry.ownByModel.clear()
    }
  }

  /**
   * The content type of a model (or of an instance's model), created if missing. Proxy models map
   * to their concrete model unless `forConcreteModel` is false.
   *
   * @example
   * await ContentType.objects.getForModel(PinnedNote, { forConcreteModel: false })
   */
  getForModel(model: ModelOrInstance, options?: { forConcreteModel?: boolean }): Promise<ContentType> {
    const forConcreteModel = options?.forConcreteModel ?? true
    const modelClass = modelOf(model)
    const alias = this.cacheAlias
    const entry = this.entryFor(modelClass, forConcreteModel, alias)
    if (entry) return entry.settled
    const [appLabel, modelName] = naturalKeyOf(modelClass, forConcreteModel)
    return this.loadForModel(appLabel, modelName, alias)
  }

  /** The cached entry of a model class on an alias, made from the natural-key cache on first use. */
  private entryFor(modelClass: typeof Model, forConcreteModel: boolean, alias: string): ModelEntry | undefined {
    const cache = this.cacheFor(alias)
    const byModel = forConcreteModel ? cache.concreteByModel : cache.ownByModel
    let entry = byModel.get(modelClass)
    if (entry) return entry
    const type = cache.byKey.get(naturalKeyOf(modelClass, forConcreteModel).join('.'))
    if (!type) return undefined
    byModel.set(modelClass, (entry = { type, settled: Promise.resolve(type) }))
    return entry
  }

  private async loadForModel(appLabel: string, modelName: string, alias: string): Promise<ContentType> {
    let ct: ContentType
    try {
      // A plain read first, so it goes to the read database.
      ct = await this.getQueryset().get({ appLabel, model: modelName })
    } catch (error) {
      if (!(error instanceof this.model.DoesNotExist)) throw error
      ;[ct] = await this.getQueryset().getOrCreate({ appLabel, model: modelName })
    }
    this.addToCache(alias, ct)
    return ct
  }

  /**
   * The content types of several models at once: one SELECT for those not cached, then one INSERT
   * per missing type. The Map is keyed by the classes passed.
   */
  async getForModels(models: ReadonlyArray<ModelOrInstance>, options: { forConcreteModels?: boolean } = {}): Promise<Map<typeof Model, ContentType>> {
    const forConcrete = options.forConcreteModels ?? true
    const alias = this.cacheAlias
    const cache = this.cacheFor(alias)
    const result = new Map<typeof Model, ContentType>()
    const needed = new Map<string, Array<typeof Model>>()
    for (const value of models) {
      const model = modelOf(value)
      const [appLabel, modelName] = naturalKeyOf(model, forConcrete)
      const key = `${appLabel}.${modelName}`
      const cached = cache.byKey.get(key)
      if (cached) result.set(model, cached)
      else needed.set(key, [...(needed.get(key) ?? []), model])
    }
    if (needed.size === 0) return result
    const byApp = new Map<string, string[]>()
    for (const key of needed.keys()) {
      const [appLabel, modelName] = key.split('.') as [string, string]
      byApp.set(appLabel, [...(byApp.get(appLabel) ?? []), modelName])
    }
    let condition: Q | undefined
    for (const [appLabel, names] of byApp) {
      const one = new Q({ appLabel, model__in: names })
      condition = condition ? condition.or(one) : one
    }
    for (const ct of await this.getQueryset().filter(condition!)) {
      const key = `${ct.appLabel}.${ct.model}`
      const waiting = needed.get(key)
      if (!waiting) continue
      this.addToCache(alias, ct)
      for (const model of waiting) result.set(model, ct)
      needed.delete(key)
    }
    for (const [key, waiting] of needed) {
      const [appLabel, modelName] = key.split('.') as [string, string]
      const ct = await this.getQueryset().create({ appLabel, model: modelName })
      this.addToCache(alias, ct)
      for (const model of waiting) result.set(model, ct)
    }
    return result
  }

  /** The content type with this id (cached; never created). */
  async getForId(id: number | string): Promise<ContentType> {
    const alias = this.cacheAlias
    const cached = this.cacheFor(alias).byId.get(String(id))
    if (cached) return cached
    const ct = await this.getQueryset().get({ pk: id })
    this.addToCache(alias, ct)
    return ct
  }

  /**
   * The content types of several ids at once (cached; never created): one query for those not
   * cached. Ids with no content type are left out of the Map, which is keyed by the ids passed.
   *
   * @example
   * const types = await ContentType.objects.getForIds([3, 7])
   * types.get(3)?.model // 'bookmark'
   */
  async getForIds<K extends number | string>(ids: Iterable<K>): Promise<Map<K, ContentType>> {
    const alias = this.cacheAlias
    const cache = this.cacheFor(alias)
    const result = new Map<K, ContentType>()
    const missing: K[] = []
    for (const id of ids) {
      const cached = cache.byId.get(String(id))
      if (cached) result.set(id, cached)
      else missing.push(id)
    }
    if (missing.length === 0) return result
    for (const ct of await this.getQueryset().filter({ pk__in: missing })) {
      this.addToCache(alias, ct)
    }
    for (const id of missing) {
      const ct = cache.byId.get(String(id))
      if (ct) result.set(id, ct)
    }
    return result
  }

  /** The content type of `appLabel.model` (cached; never created). */
  async getByNaturalKey(appLabel: string, model: string): Promise<ContentType> {
    const alias = this.cacheAlias
    const cached = this.cacheFor(alias).byKey.get(`${appLabel}.${model}`)
    if (cached) return cached
    const ct = await this.getQueryset().get({ appLabel, model })
    this.addToCache(alias, ct)
    return ct
  }

  /**
   * The content type of a model if it is cached, synchronously (undefined when not): for hot loops
   * and code that must not wait. A cache miss neither queries nor creates; use getForModel() then.
   *
   * @example
   * await ContentType.objects.getForModels([Bookmark, Note]) // warm the cache once
   * for (const row of rows) row.ctId = ContentType.objects.peekForModel(row.model)!.id
   */
  peekForModel(model: ModelOrInstance, options?: { forConcreteModel?: boolean; using?: string }): ContentType | undefined {
    return this.entryFor(modelOf(model), options?.forConcreteModel ?? true, options?.using ?? this.cacheAlias)?.type
  }

  /** The content type of an id if cached on the alias, without querying. */
  peekForId(id: number | string, using?: string): ContentType | undefined {
    return this.cacheFor(using ?? this.cacheAlias).byId.get(String(id))
  }
}

