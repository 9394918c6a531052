import type { Model } from './model.ts'
import type { QuerySet } from './queryset.ts'
import { FieldError } from './errors.ts'

/** What a prefetcher returns: the related objects and how they match the instances. */
export interface PrefetchResult {
  /** The related objects fetched (for every instance at once). */
  readonly objects: Model[]
  /** The key of a related object, matched against `instanceKey`. */
  relatedKey(object: Model): unknown
  /** The key of an instance. */
  instanceKey(instance: Model): unknown
  /**
   * For keys that match only within a group (a generic relation's content type): the group of a
   * related object and of an instance, compared by identity. Two-level keys spare building a
   * composite key per object.
   */
  relatedGroup?(object: Model): unknown
  instanceGroup?(instance: Model): unknown
  /** One related object per instance (forward keys) or a list (reverse and generic relations). */
  readonly single: boolean
  /** Where the result is cached on each instance. */
  readonly cacheName: string
}

/**
 * The prefetch protocol (Django's get_prefetch_querysets): fields and relations that can be
 * prefetched implement it, so `prefetchRelated()` works with any of them, generic ones included.
 */
export interface Prefetcher {
  /** Fetches the related objects of every instance; `querysets` overrides the default queryset(s). */
  getPrefetchQuerysets(instances: Model[], querysets?: QuerySet<any, any>[]): Promise<PrefetchResult>
  /** Whether the instance already holds this relation's objects. */
  isCached(instance: Model): boolean
  /** The related objects cached on an instance (for nested lookups through cached relations). */
  cachedObjects(instance: Model): Model[]
}

/**
 * A prefetch lookup with its own queryset and/or target attribute (Django's Prefetch).
 *
 * @example
 * await Author.objects.prefetchRelated(new Prefetch('books', { queryset: Book.objects.filter({ pages__gt: 300 }), toAttr: 'longBooks' }))
 */
export class Prefetch {
  readonly prefetchThrough: string
  readonly queryset: QuerySet<any, any> | undefined
  readonly toAttr: string | undefined
  /** Several querysets, one per model, for generic relations (GenericPrefetch). */
  readonly querysets: QuerySet<any, any>[] | undefined

  constructor(lookup: string, options: { queryset?: QuerySet<any, any>; toAttr?: string; querysets?: QuerySet<any, any>[] } = {}) {
    this.prefetchThrough = lookup
    this.queryset = options.queryset
    this.querysets = options.querysets
    this.toAttr = options.toAttr
    if (options.queryset && (options.queryset as { mode?: string }).mode !== 'models') {
      throw new TypeError('Prefetch querysets cannot use values() or valuesList().')
    }
  }

  /** The path where results are stored: the lookup with its last part replaced by toAttr. */
  get prefetchTo(): string {
    if (!this.toAttr) return this.prefetchThrough
    const parts = this.prefetchThrough.split('__')
    parts[parts.length - 1] = this.toAttr
    return parts.join('__')
  }
}

/** Finds the prefetcher for an attribute of a model: a forward key, a reverse relation, or a private field. */
export function prefetcherFor(model: typeof Model, attribute: string): Prefetcher | undefined {
  const meta = model._meta
  const field = meta.findField(attribute) as unknown as Partial<Prefetcher> | undefined
  if (field && typeof field.getPrefetchQuerysets === 'function') return field as Prefetcher
  const relations = meta.proxy ? meta.concreteModel._meta.relatedObjects : meta.relatedObjects
  const relation = relations.find((r) => !r.hidden && r.accessorName === attribute)
  return relation as unknown as Prefetcher | undefined
}

/**
 * Loads relations of already-fetched instances, one query per relation level (Django's
 * prefetch_related_objects). Lookups may be nested (`'author__books'`).
 *
 * @example
 * const books = await Book.objects.all()
 * await prefetchRelatedObjects(books, 'author', 'author__books')
 */
export async function prefetchRelatedObjects(instances: readonly Model[], ...lookups: Array<string | Prefetch>): Promise<void> {
  if (instances.length === 0) return
  const done = new Set<string>()
  for (const lookup of lookups.map((l) => (typeof l === 'string' ? new Prefetch(l) : l))) {
    if (done.has(lookup.prefetchTo)) continue
    done.add(lookup.prefetchTo)
    const parts = lookup.prefetchThrough.split('__')
    let objects: Model[] = [...instances]
    for (let level = 0; level < parts.length && objects.length > 0; level++) {
      const attribute = parts[level]!
      const isLast = level === parts.length - 1
      const model = objects[0]!.constructor as typeof Model
      const prefetcher = prefetcherFor(model, attribute)
      if (!prefetcher) {
        // An attribute filled by an earlier Prefetch(…, { toAttr }): go through what it holds.
        const held = objects.map((o) => (o as any)[attribute])
        if (held.every((v) => Array.isArray(v) || v === null || (v && typeof v === 'object' && v._isModel))) {
          if (isLast) break
          objects = unique(held.flatMap((v) => (Array.isArray(v) ? v : v ? [v] : [])))
          continue
        }
        throw new FieldError(
          `Cannot find '${attribute}' on ${model._meta.objectName} object, '${lookup.prefetchThrough}' is an invalid parameter to prefetchRelated()`)
      }
      const toAttr = isLast ? lookup.toAttr : undefined
      if (!toAttr && !(isLast && (lookup.queryset || lookup.querysets)) && objects.every((o) => prefetcher.isCached(o))) {
        objects = unique(objects.flatMap((o) => prefetcher.cachedObjects(o)))
        continue
      }
      const querysets = isLast ? (lookup.querysets ?? (lookup.queryset ? [lookup.queryset] : undefined)) : undefined
      const result = await prefetcher.getPrefetchQuerysets(objects, querysets)
      const index = new KeyIndex(result)
      if (result.single) {
        // One object per instance: straight to it, no lists.
        for (const related of result.objects) index.addFirst(related)
        for (const instance of objects) {
          const value = (index.find(instance) as Model | undefined) ?? null
          if (toAttr) (instance as any)[toAttr] = value
          else instance._state.fieldsCache[result.cacheName] = value
        }
      } else {
        for (const related of result.objects) index.addToList(related)
        for (const instance of objects) {
          const matches = (index.find(instance) as Model[] | undefined) ?? []
          if (toAttr) {
            (instance as any)[toAttr] = matches
          } else {
            instance._state.prefetchedObjectsCache[result.cacheName] = matches
            if (isLast && lookup.queryset) instance._state.prefetchedQuerysets[result.cacheName] = lookup.queryset
            else if (instance._state.hasPrefetchedQueryset(result.cacheName)) delete instance._state.prefetchedQuerysets[result.cacheName]
          }
        }
      }
      if (!isLast) objects = unique(result.objects)
    }
  }
}

/** Related objects by (group, key), built from a prefetch result and read per instance. */
class KeyIndex {
  private readonly groups = new Map<unknown, Map<unknown, Model | Model[]>>()

  constructor(private readonly result: PrefetchResult) {}

  private groupOf(group: unknown): Map<unknown, Model | Model[]> {
    let map = this.groups.get(group)
    if (!map) this.groups.set(group, (map = new Map()))
    return map
  }

  /** Keeps the first related object of each key (forward relations: one per instance). */
  addFirst(related: Model): void {
    const map = this.groupOf(this.result.relatedGroup?.(related))
    const key = matchKey(this.result.relatedKey(related))
    if (!map.has(key)) map.set(key, related)
  }

  /** Collects the related objects of each key in a list (reverse and generic relations). */
  addToList(related: Model): void {
    const map = this.groupOf(this.result.relatedGroup?.(related))
    const key = matchKey(this.result.relatedKey(related))
    const list = map.get(key) as Model[] | undefined
    if (list) list.push(related)
    else map.set(key, [related])
  }

  find(instance: Model): Model | Model[] | undefined {
    return this.groups.get(this.result.instanceGroup?.(instance))?.get(matchKey(this.result.instanceKey(instance)))
  }
}

const canonicalInteger = /^(?:0|-?[1-9]\d*)$/

/**
 * How keys compare when matching related objects: an integer and its digits as text are one key
 * (generic object ids are often text), without turning every integer into a string.
 */
export function matchKey(key: unknown): unknown {
  switch (typeof key) {
    case 'number': return Number.isSafeInteger(key) ? key : String(key)
    case 'string': {
      if (!canonicalInteger.test(key)) return key
      const n = Number(key)
      return Number.isSafeInteger(n) ? n : key
    }
    case 'bigint': return key >= BigInt(Number.MIN_SAFE_INTEGER) && key <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(key) : String(key)
    case 'undefined': return null
    default: return key === null ? null : String(key)
  }
}

function unique(objects: Model[]): Model[] {
  return [...new Set(objects)]
}
