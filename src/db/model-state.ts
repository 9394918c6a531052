import type { Field } from './fields/field.ts'
import type { Model } from './model.ts'

/** Set by strict mode: a relation that is not loaded throws instead of querying. */
let strictRelations = false

/** Turns the N+1 guard on or off (see `RelatedObjectNotLoaded`). */
export function setStrictRelations(on: boolean): void {
  strictRelations = on
}

/** Whether the N+1 guard is on. */
export function isStrictRelations(): boolean {
  return strictRelations
}

/**
 * Raised in strict mode when code touches a relation that no selectRelated or prefetchRelated
 * loaded: it would have issued a query per object.
 */
export class RelatedObjectNotLoaded extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'RelatedObjectNotLoaded'
  }
}

/** The rarely used parts of a ModelState, made on first use. */
interface StateExtras {
  prefetched?: Record<string, unknown[]>
  prefetchedQuerysets?: Record<string, unknown>
  deferredFields?: Set<string>
}

/**
 * Per-instance bookkeeping (Django's ModelState): whether the row is still to be inserted, the
 * database it came from, and the cache of loaded related objects.
 *
 * Every loaded row carries one, so it holds four slots only: the caches are made on first use,
 * and what few rows need (prefetch results, deferred fields) shares one extra object.
 */
export class ModelState {
  /** True until the instance is saved or loaded from the database. */
  adding = true
  /** The alias of the database the instance was loaded from or saved to. */
  db: string | null = null
  private fieldsCacheStore: Record<string, unknown> | undefined = undefined
  private extras: StateExtras | undefined = undefined

  /** Related objects loaded by accessors, selectRelated and prefetchRelated, by field name. */
  get fieldsCache(): Record<string, unknown> {
    return (this.fieldsCacheStore ??= {})
  }
  set fieldsCache(value: Record<string, unknown>) {
    this.fieldsCacheStore = value
  }

  /** Whether a related object (or null) is cached under a name, without making the cache. */
  hasCached(name: string): boolean {
    return this.fieldsCacheStore !== undefined && name in this.fieldsCacheStore
  }

  /** Whether any related object was ever cached (assigned or loaded): false for most new rows. */
  get hasRelatedCache(): boolean {
    return this.fieldsCacheStore !== undefined
  }

  /** Whether prefetched results are stored under a name, without making the cache. */
  hasPrefetched(name: string): boolean {
    const store = this.extras?.prefetched
    return store !== undefined && name in store
  }

  /** The related object cached under a name, as a list (empty when none or null): for nested prefetches. */
  cachedList(name: string): Model[] {
    const value = this.fieldsCacheStore?.[name] as Model | null | undefined
    return value ? [value] : []
  }

  /** The prefetched results stored under a name, or undefined when none, without making the store. */
  getPrefetched(name: string): Model[] | undefined {
    return this.extras?.prefetched?.[name] as Model[] | undefined
  }

  /** The prefetched results stored under a name (empty when none). */
  prefetchedList(name: string): Model[] {
    return (this.extras?.prefetched?.[name] ?? []) as Model[]
  }

  /** Prefetched results by lookup name. */
  get prefetchedObjectsCache(): Record<string, unknown[]> {
    return ((this.extras ??= {}).prefetched ??= {})
  }
  set prefetchedObjectsCache(value: Record<string, unknown[]>) {
    (this.extras ??= {}).prefetched = value
  }

  /** Whether a custom prefetch queryset is stored under a name, without making the store. */
  hasPrefetchedQueryset(name: string): boolean {
    const store = this.extras?.prefetchedQuerysets
    return store !== undefined && name in store
  }

  /** The custom querysets of `Prefetch(lookup, { queryset })`, by lookup name: `all()` re-runs them. */
  get prefetchedQuerysets(): Record<string, unknown> {
    return ((this.extras ??= {}).prefetchedQuerysets ??= {})
  }

  /** Fields left out by only()/defer(), loaded on access. */
  get deferredFields(): Set<string> | undefined {
    return this.extras?.deferredFields
  }
  set deferredFields(value: Set<string> | undefined) {
    if (value === undefined && this.extras === undefined) return
    (this.extras ??= {}).deferredFields = value
  }

  /** Throws RelatedObjectNotLoaded in strict mode. */
  assertCanLoad(field: Field): void {
    if (!strictRelations) return
    const label = field.model?._meta?.label ?? '?'
    throw new RelatedObjectNotLoaded(
      `${label}.${field.name} is not loaded and strict mode forbids a query here. ` +
      `Load it with selectRelated('${field.name}') or prefetchRelated('${field.name}').`)
  }
}
