import { sql, type RawBuilder } from 'kysely'
import type { Model } from './model.ts'
import { rowBuilder, type Reader, type RowBuilder } from './hydration.ts'
import { Field } from './fields/field.ts'
import { ForeignKey } from './fields/foreign-key.ts'
import { Query, type JoinExtra } from './query/query.ts'
import { Q, type LookupArgs } from './query/q.ts'
import { Aggregate, Expression, F, type Resolved } from './query/expressions.ts'
import { compileCondition, compileCount, compileFrom, compileSelect, compileSubquery, compileWhere, selectColumn, selectExpression, type SelectColumn } from './query/compiler.ts'
import { prepareValue } from './query/lookups.ts'
import { connections, runQuery, runSelect } from './connections.ts'
import type { DatabaseBackend, ValueConverter } from './backends/backend.ts'
import { ContentTypesError, FieldError, IntegrityError, TransactionManagementError, repr } from './errors.ts'
import { atomic, inAtomicBlock, markForRollbackOnError } from './transaction.ts'
import { Prefetch, prefetchRelatedObjects } from './prefetch.ts'
import { dbForRead, dbForWrite } from './routers.ts'
import { isStrictRelations } from './model-state.ts'
import { Collector } from './deletion.ts'
import { insertMany, updateMany, type BulkCreateOptions } from './persistence/bulk-writes.ts'

/** Django's cap on the rows `get()` reads to report how many matched. */
const MAX_GET_RESULTS = 21

/** Filter arguments: Django's `field__lookup` keys. */
export type FilterArgs<M> = LookupArgs

export { TransactionManagementError } from './errors.ts'

type Mode = 'models' | 'values' | 'valuesList' | 'flat'

/** How a row becomes an instance (and the instances selectRelated loads with it). */
interface Loader {
  readonly model: typeof Model
  readonly readers: Reader[]
  readonly build: RowBuilder
  readonly pkIndex: number
  readonly deferred: string[]
  readonly related: Array<{ field: ForeignKey<any, any>; loader: Loader }>
}

export type AggregateResult<A extends readonly Aggregate<any, any, any>[]> = { [K in A[number] as K['defaultAlias']]: K['__type'] }
export type ExpressionTypes<A extends Record<string, Expression>> = { [K in keyof A]: A[K]['__type'] }


/** A queryset whose query is built later: only prefetched() makes one. */
const LATER: unique symbol = Symbol('later')

interface State {
  /** Annotations that existed when values()/valuesList() named its fields (only named ones show). */
  annotationsBeforeValues?: readonly string[]
  /** An object every row is known to point at (a reverse manager's owner), cached on each row. */
  known?: { fieldName: string; instance: Model } | undefined
  alias: string | undefined
  mode: Mode
  fieldNames: readonly string[]
  prefetch: ReadonlyArray<string | Prefetch>
  forWrite: boolean
}

/**
 * A lazy, immutable query over a model's rows (Django's QuerySet). Every method returns a new
 * QuerySet; awaiting one (or iterating it with `for await`) runs the query and caches the rows on
 * that instance.
 *
 * @example
 * const recent = Book.objects.filter({ year__gte: 2000 }).exclude({ title__icontains: 'draft' }).orderBy('-year')
 * for (const book of await recent) console.log(book.title)
 * await recent.count()
 */
export class QuerySet<M extends Model, R = M> implements PromiseLike<R[]>, AsyncIterable<R> {
  private resultCache: R[] | undefined
  private stateValue: State | undefined
  private queryValue: Query | undefined
  /** For prefetched results: builds the real queryset only if something chains from them. */
  private lazySource: (() => QuerySet<M, R>) | undefined

  constructor(readonly model: typeof Model, query?: Query | typeof LATER, state: Partial<State> = {}) {
    // Prefetched results (see prefetched()) get their query and state only if something chains.
    if (query === LATER) return
    this.queryValue = query ?? new Query(model)
    this.stateValue = { alias: undefined, mode: 'models', fieldNames: [], prefetch: [], forWrite: false, ...state }
  }

  /**
   * A queryset holding rows already loaded (a prefetched relation), whose query is built by
   * `source` only when another queryset is derived from it: reading the rows costs nothing.
   */
  static prefetched<M extends Model>(model: typeof Model, rows: M[], source: () => QuerySet<M>): QuerySet<M> {
    const qs = new QuerySet<M>(model, LATER)
    qs.lazySource = source
    qs.resultCache = rows
    return qs
  }

  private materialize(): void {
    const source = this.lazySource!()
    this.queryValue = source.query
    this.stateValue = source.state
    this.lazySource = undefined
  }

  /** The query state (built on first use for prefetched results). */
  get query(): Query {
    if (!this.queryValue) this.materialize()
    return this.queryValue!
  }

  private get state(): State {
    if (!this.stateValue) this.materialize()
    return this.stateValue!
  }

  /** 'models', 'values', 'valuesList' or 'flat'. */
  get mode(): Mode {
    return this.state.mode
  }

  /** The database alias this queryset uses: the one given to `using()`, else the router's choice. */
  get db(): string {
    return this.state.alias ?? (this.state.forWrite ? dbForWrite(this.model) : dbForRead(this.model))
  }

  private chain<R2 = R>(change?: (query: Query) => void, overrides: Partial<State> = {}): QuerySet<M, R2> {
    const query = this.query.clone()
    change?.(query)
    return new QuerySet<M, R2>(this.model, query, { ...this.state, ...overrides })
  }

  private assertNotSliced(operation: string): void {
    if (this.query.isSliced) throw new TypeError(`Cannot ${operation} a query once a slice has been taken.`)
  }

  /** A copy of this queryset (fresh cache). */
  all(): QuerySet<M, R> {
    return this.chain()
  }

  /**
   * Rows matching every lookup (and any Q given). Conditions on a multi-valued relation within one
   * call match the same related row.
   *
   * @example
   * Book.objects.filter({ title__startswith: 'Dune', pages__gt: 300 })
   */
  filter(args: FilterArgs<M> | Q = {}, ...more: Q[]): QuerySet<M, R> {
    this.assertNotSliced('filter')
    return this.chain((query) => {
      let condition = Q.from(args)
      for (const q of more) condition = condition.and(q)
      query.addQ(condition)
    })
  }

  /**
   * Rows not matching the lookups: the exact complement of `filter()` with the same arguments.
   *
   * @example
   * Author.objects.exclude({ books__title__icontains: 'draft' }) // authors with no such book
   */
  exclude(args: FilterArgs<M> | Q = {}, ...more: Q[]): QuerySet<M, R> {
    this.assertNotSliced('exclude')
    return this.chain((query) => {
      let condition = Q.from(args)
      for (const q of more) condition = condition.and(q)
      if (!condition.isEmpty) query.addQ(condition.not())
    })
  }

  /**
   * Orders by fields: `'-field'` for descending, `'author__name'` across a relation, annotation
   * names. Replaces any earlier ordering; with no argument, clears it (even the model's default).
   */
  orderBy(...fieldNames: string[]): QuerySet<M, R> {
    this.assertNotSliced('reorder')
    return this.chain((query) => {
      query.ordering = fieldNames
      query.reversed = false
      // Validate names now, not at evaluation; only paths across relations add joins to throw away.
      ;(fieldNames.some((n) => n.includes('__')) ? query.clone() : query).resolveOrdering(fieldNames)
    })
  }

  /** The same rows in the opposite order. */
  reverse(): QuerySet<M, R> {
    return this.chain((query) => { query.reversed = !query.reversed })
  }

  /** Removes duplicate rows (SELECT DISTINCT). */
  distinct(): QuerySet<M, R> {
    return this.chain((query) => { query.distinct = true })
  }

  /** A queryset that matches nothing and never queries. */
  none(): QuerySet<M, R> {
    return this.chain((query) => { query.empty = true })
  }

  /**
   * Rows `start` to `end` (exclusive), as Python's `qs[start:end]`: OFFSET and LIMIT.
   *
   * @example
   * Book.objects.orderBy('title').slice(10, 20) // the second page of ten
   */
  slice(start: number, end?: number): QuerySet<M, R> {
    for (const bound of [start, end]) {
      if (bound !== undefined && (!Number.isInteger(bound) || bound < 0)) {
        throw new TypeError(`Negative indexing is not supported: slice bounds must be non-negative integers (got ${repr(bound)}).`)
      }
    }
    return this.chain((query) => query.setLimits(start, end))
  }

  /** Only the first `n` rows. */
  limit(n: number): QuerySet<M, R> {
    return this.slice(0, n)
  }

  /** Skips the first `n` rows. */
  offset(n: number): QuerySet<M, R> {
    return this.slice(n)
  }

  /**
   * Loads only these fields (and the primary key). The others load on access:
   * `await book.summary` fetches it, after which `book.summary` is the plain value.
   */
  only(...fieldNames: string[]): QuerySet<M, R> {
    const fields = fieldNames.map((name) => this.concreteField(name))
    return this.chain((query) => {
      query.onlyFields = new Set(fields.map((f) => f.name))
      query.deferredFields.clear()
    })
  }

  /** Leaves these fields out of the query; they load on access (see `only()`). */
  defer(...fieldNames: string[]): QuerySet<M, R> {
    const fields = fieldNames.map((name) => this.concreteField(name))
    return this.chain((query) => { for (const f of fields) query.deferredFields.add(f.name) })
  }

  /** The same query on another database. */
  using(alias: string | undefined): QuerySet<M, R> {
    if (alias !== undefined) connections.get(alias)
    return this.chain(undefined, { alias })
  }

  /** The same query on `alias` unless a database was chosen already. */
  usingIfUnset(alias: string | undefined): QuerySet<M, R> {
    return this.state.alias === undefined && alias !== undefined ? this.using(alias) : this
  }

  /**
   * Plain objects instead of instances: keyed by the given names (lookups across relations
   * allowed), or by every concrete field's attribute. Followed by `annotate()`, groups by them.
   *
   * @example
   * await Book.objects.values('title', 'author__name') // [{ title: 'Dune', author__name: 'Frank Herbert' }]
   */
  values<K extends keyof M & string>(...fieldNames: K[]): QuerySet<M, { [P in K]: M[P] }>
  values(...fieldNames: string[]): QuerySet<M, Record<string, unknown>>
  values(...fieldNames: string[]): QuerySet<M, any> {
    this.validatePaths(fieldNames)
    return this.chain(undefined, { mode: 'values', fieldNames, annotationsBeforeValues: [...this.query.annotations.keys()] })
  }

  /**
   * Tuples instead of instances; with `{ flat: true }` and one field, the bare values.
   *
   * @example
   * await Book.objects.valuesList('id', { flat: true }) // [1, 2, 3]
   */
  valuesList<K extends keyof M & string>(field: K, options: { flat: true }): QuerySet<M, M[K]>
  valuesList(...args: Array<string | { flat?: boolean }>): QuerySet<M, unknown[]>
  valuesList(...args: Array<string | { flat?: boolean }>): QuerySet<M, any> {
    const last = args[args.length - 1]
    const flat = typeof last === 'object' && last !== null ? Boolean(last.flat) : false
    const fieldNames = args.filter((a): a is string => typeof a === 'string')
    if (flat && fieldNames.length > 1) {
      throw new TypeError("'flat' is not valid when valuesList is called with more than one field.")
    }
    this.validatePaths(fieldNames)
    return this.chain(undefined, { mode: flat ? 'flat' : 'valuesList', fieldNames, annotationsBeforeValues: [...this.query.annotations.keys()] })
  }

  private validatePaths(fieldNames: readonly string[]): void {
    const probe = this.query.clone()
    for (const name of fieldNames) {
      if (probe.annotations.has(name)) continue
      const { rest, col } = probe.resolvePath(name.split('__'), { allowLookups: false })
      if (rest.length > 0) throw new FieldError(`Cannot resolve keyword '${rest[0]}' into field. Join on '${col.field.name}' not permitted.`)
    }
  }

  private concreteField(name: string): Field {
    const meta = this.model._meta
    const field = name === 'pk' ? meta.pk : meta.findField(name)
    if (!field || !field.concrete) throw new FieldError(`${meta.objectName} has no field named '${name}'`)
    return field
  }

  /**
   * Adds computed values to each row: aggregates over relations (grouped per row) or expressions.
   *
   * @example
   * const authors = await Author.objects.annotate({ bookCount: Count('books') }).orderBy('-bookCount')
   * authors[0].bookCount // number
   */
  annotate<const A extends Record<string, Expression>>(annotations: A): QuerySet<M & ExpressionTypes<A>, R & ExpressionTypes<A>> {
    const meta = this.model._meta
    for (const name of Object.keys(annotations)) {
      if (meta.findField(name) || meta.findRelatedObject(name)) {
        throw new TypeError(`The annotation '${name}' conflicts with a field on the model.`)
      }
    }
    return this.chain((query) => {
      for (const [name, expression] of Object.entries(annotations)) query.annotations.set(name, expression.resolve(query, {}))
    }) as unknown as QuerySet<M & ExpressionTypes<A>, R & ExpressionTypes<A>>
  }

  /**
   * Computes aggregates over the rows. Unnamed aggregates are keyed Django's way
   * (`Count('tags')` → `tags__count`).
   *
   * @example
   * await Bookmark.objects.aggregate(Count('tags'))                    // { tags__count: 3 }
   * await Book.objects.aggregate({ longest: Max('pages'), total: Sum('pages') })
   */
  aggregate<const A extends readonly Aggregate<any, any, any>[]>(...aggregates: A): Promise<AggregateResult<A>>
  aggregate<const A extends Record<string, Expression>>(named: A): Promise<ExpressionTypes<A>>
  async aggregate(...args: any[]): Promise<any> {
    const entries: Array<[string, Expression]> = args.length === 1 && !(args[0] instanceof Aggregate)
      ? Object.entries(args[0] as Record<string, Expression>)
      : (args as Aggregate[]).map((a) => [a.defaultAlias, a])
    if (entries.length === 0) return {}
    const backend = this.backend()
    const query = this.query.clone()
    if (!query.isSliced) query.ordering = []
    let statement: RawBuilder<unknown>
    const converters: Array<(value: unknown) => unknown> = []
    // Results come back under short keys: PostgreSQL cuts longer aliases to 63 bytes.
    const keys = entries.map((_, i) => `__r${i}`)
    if (query.isSliced || query.distinct || query.hasAggregate || this.state.mode !== 'models') {
      // Aggregate over the rows as the queryset defines them: through a subquery.
      const valueColumns = this.state.mode === 'models' ? [] : this.valueReaders(query, backend)
      const innerColumns: SelectColumn[] = valueColumns.length > 0
        ? valueColumns.map((r) => r.column)
        : [selectColumn({ alias: query.baseAlias, field: this.model._meta.pk }, '__pk', backend)]
      const outer = entries.map(([name, expression], i) => {
        if (!(expression instanceof Aggregate)) throw new TypeError(`aggregate() over a sliced, distinct, grouped or values() queryset needs Count, Sum, Avg, Min or Max (got ${name}).`)
        let target: RawBuilder<unknown> = sql`*`
        let source: Resolved | undefined
        if (expression.source !== '*') {
          const named = valueColumns.find((r) => r.reader.target === expression.source)
          source = new F(expression.source).resolve(query, {})
          if (named) {
            target = sql.ref(`subquery.${named.column.key}`)
          } else {
            innerColumns.push(selectExpression(source, `__a${i}`, backend))
            target = sql.ref(`subquery.__a${i}`)
          }
        }
        converters.push(aggregateConverter(expression, source, backend))
        return sql`${sql.raw(expression.fn)}(${sql.raw(expression.distinct ? 'DISTINCT ' : '')}${target}) AS ${sql.id(keys[i]!)}`
      })
      statement = sql`SELECT ${sql.join(outer)} FROM (${compileSelect(query, innerColumns, backend)}) AS ${sql.id('subquery')}`
    } else {
      const columns = entries.map(([, expression], i) => {
        const resolved = expression.resolve(query, {})
        converters.push((value) => convertExpression(resolved, value, backend))
        return selectExpression(resolved, keys[i]!, backend)
      })
      statement = sql`SELECT ${sql.join(columns.map((c) => c.expression))} FROM ${compileFrom(query, backend)}${compileWhere(query, backend)}`
    }
    const result = await runQuery<Record<string, unknown>>(this.db, statement.compile(backend.kysely))
    const row = result.rows[0] ?? {}
    return Object.fromEntries(entries.map(([name], i) => [name, converters[i]!(row[keys[i]!])]))
  }

  /**
   * Joins forward foreign keys and loads the related objects with the rows, so accessing them
   * needs no query. With no argument, follows every non-null foreign key.
   *
   * @example
   * const books = await Book.objects.selectRelated('author')
   * await books[0].author // no query
   */
  selectRelated(...paths: string[]): QuerySet<M, R> {
    for (const path of paths) this.validateSelectRelated(path)
    return this.chain((query) => {
      if (paths.length === 0) query.selectRelated = true
      else query.selectRelated = [...(Array.isArray(query.selectRelated) ? query.selectRelated : []), ...paths]
    })
  }

  private validateSelectRelated(path: string): void {
    let model = this.model
    for (const name of path.split('__')) {
      const field = model._meta.findField(name)
      if (!(field instanceof ForeignKey)) {
        const choices = model._meta.concreteFields.filter((f) => f instanceof ForeignKey).map((f) => f.name)
        throw new FieldError(`Invalid field name(s) given in selectRelated: '${name}'. Choices are: ${choices.join(', ') || '(none)'}`)
      }
      model = field.relatedModel
    }
  }

  /**
   * Loads relations of the fetched rows in one query per relation level: forward keys, reverse
   * relations, generic ones, nested (`'author__books'`), or `new Prefetch(lookup, { queryset, toAttr })`.
   *
   * @example
   * const authors = await Author.objects.prefetchRelated('books') // 2 queries in all
   * await authors[0].books.all() // from the cache
   */
  prefetchRelated(...lookups: Array<string | Prefetch>): QuerySet<M, R> {
    if (lookups.length === 1 && lookups[0] === null) return this.chain(undefined, { prefetch: [] })
    return this.chain(undefined, { prefetch: [...this.state.prefetch, ...lookups] })
  }

  /**
   * Locks the selected rows until the transaction ends (SELECT … FOR UPDATE) on databases that
   * support it; must run inside `atomic()`.
   */
  selectForUpdate(options: { nowait?: boolean; skipLocked?: boolean } = {}): QuerySet<M, R> {
    if (options.nowait && options.skipLocked) throw new TypeError('The nowait option cannot be used with skipLocked.')
    return this.chain((query) => { query.forUpdate = { nowait: options.nowait ?? false, skipLocked: options.skipLocked ?? false } }, { forWrite: true })
  }

  /**
   * The single row matching the lookups. Throws `Model.DoesNotExist` or
   * `Model.MultipleObjectsReturned` with Django's messages.
   *
   * @example
   * const book = await Book.objects.get({ pk: 1 })
   */
  async get(args: FilterArgs<M> | Q = {}): Promise<R> {
    let qs: QuerySet<M, R> = this.filter(args)
    if (!qs.query.isSliced) qs = qs.orderBy().slice(0, MAX_GET_RESULTS)
    const rows = await qs.fetch()
    const meta = this.model._meta
    if (rows.length === 1) return rows[0]!
    if (rows.length === 0) throw new this.model.DoesNotExist(`${meta.objectName} matching query does not exist.`)
    throw new this.model.MultipleObjectsReturned(
      `get() returned more than one ${meta.objectName} -- it returned ${rows.length >= MAX_GET_RESULTS ? `more than ${MAX_GET_RESULTS - 1}` : rows.length}!`)
  }

  /**
   * Builds, saves and returns a new instance.
   *
   * @example
   * const author = await Author.objects.create({ name: 'Ursula K. Le Guin' })
   */
  async create(values: Record<string, unknown> = {}): Promise<M> {
    const instance = new (this.model as unknown as new (v: Record<string, unknown>) => M)(values)
    await instance.save({ forceInsert: true, using: this.forWrite().db })
    return instance
  }

  private forWrite(): QuerySet<M, R> {
    return this.state.forWrite ? this : this.chain(undefined, { forWrite: true })
  }

  /**
   * The row matching `lookup`, or a new one made from it and `defaults`; returns [object, created].
   * Two callers racing on a unique constraint end with one row, and both get it.
   *
   * @example
   * const [tag, created] = await Tag.objects.getOrCreate({ name: 'django' }, { defaults: { color: 'green' } })
   */
  async getOrCreate(lookup: FilterArgs<M> = {}, options: { defaults?: Record<string, unknown> } = {}): Promise<[M, boolean]> {
    const qs = this.forWrite() as unknown as QuerySet<M, M>
    try {
      return [await qs.get(lookup), false]
    } catch (error) {
      if (!(error instanceof this.model.DoesNotExist)) throw error
    }
    const params = extractCreateParams(lookup, options.defaults)
    try {
      const created = await atomic(() => qs.create(params), { using: qs.db })
      return [created, true]
    } catch (error) {
      if (!(error instanceof IntegrityError)) throw error
      try {
        return [await qs.get(lookup), false]
      } catch (lookupError) {
        if (lookupError instanceof this.model.DoesNotExist) throw error
        throw lookupError
      }
    }
  }

  /**
   * Updates the row matching `lookup` with `defaults`, or creates it (from `lookup`,
   * `createDefaults` or else `defaults`); returns [object, created].
   *
   * @example
   * const [profile, created] = await Profile.objects.updateOrCreate({ user }, { defaults: { bio: 'Hi' } })
   */
  async updateOrCreate(lookup: FilterArgs<M> = {}, options: { defaults?: Record<string, unknown>; createDefaults?: Record<string, unknown> } = {}): Promise<[M, boolean]> {
    const qs = this.forWrite() as unknown as QuerySet<M, M>
    return atomic(async () => {
      const locked = qs.backend().features.hasSelectForUpdate ? qs.selectForUpdate() : qs
      const [object, created] = await locked.getOrCreate(lookup, { defaults: options.createDefaults ?? options.defaults })
      if (created) return [object, true] as [M, boolean]
      const defaults = resolveCallables(options.defaults ?? {})
      for (const [name, value] of Object.entries(defaults)) (object as any)[name] = value
      const meta = this.model._meta
      const fieldNames = Object.keys(defaults).map((name) => (meta.findField(name) ?? meta.getField(name)).name)
      const updateFields = fieldNames.length > 0 && fieldNames.every((n) => meta.findField(n)?.concrete) ? [...new Set(fieldNames), ...autoNowFields(this.model)] : undefined
      await object.save({ using: qs.db, ...(updateFields ? { updateFields } : {}) })
      return [object, false] as [M, boolean]
    }, { using: qs.db })
  }

  /**
   * Inserts many instances in few statements (no save signals). Primary keys are set where the
   * database returns them (SQLite, PostgreSQL, MariaDB).
   *
   * @example
   * const books = await Book.objects.bulkCreate([new Book({ title: 'A' }), new Book({ title: 'B' })])
   */
  async bulkCreate(objects: M[], options: BulkCreateOptions = {}): Promise<M[]> {
    if (objects.length === 0) return objects
    return insertMany(this.model, objects, this.forWrite().db, options)
  }

  /**
   * Updates the given fields of many saved instances in few statements; returns the rows matched.
   *
   * @example
   * books.forEach((b) => { b.pages += 1 })
   * await Book.objects.bulkUpdate(books, ['pages'])
   */
  async bulkUpdate(objects: M[], fieldNames: string[], options: { batchSize?: number } = {}): Promise<number> {
    if (fieldNames.length === 0) throw new TypeError('Field names must be given to bulkUpdate().')
    const fields = fieldNames.map((name) => this.concreteField(name))
    return updateMany(this.model, objects, fields, this.forWrite().db, options)
  }

  /**
   * A Map of the rows by key: all rows, or those whose `fieldName` (default the primary key) is
   * in `ids`.
   *
   * @example
   * const byId = await Book.objects.inBulk([1, 2]) // Map { 1 => Book, 2 => Book }
   */
  async inBulk(ids?: readonly unknown[], options: { fieldName?: string } = {}): Promise<Map<unknown, M>> {
    const meta = this.model._meta
    const fieldName = options.fieldName ?? 'pk'
    const field = fieldName === 'pk' ? meta.pk : this.concreteField(fieldName)
    if (!field.unique && !meta.constraints.some((c) => c.fields.length === 1 && c.fields[0] === field.name)) {
      throw new TypeError(`inBulk()'s fieldName must be a unique field but '${fieldName}' isn't.`)
    }
    if (this.query.isSliced) throw new TypeError("Cannot use 'limit' or 'offset' with inBulk().")
    const result = new Map<unknown, M>()
    if (ids !== undefined && ids.length === 0) return result
    const qs = (ids === undefined ? this.orderBy() : this.filter({ [`${field.name}__in`]: ids }).orderBy()) as unknown as QuerySet<M, M>
    for (const object of await qs.fetch()) result.set((object as any)[field.attname], object)
    return result
  }

  /** The number of matching rows (one COUNT query, or the cached rows' length). */
  async count(): Promise<number> {
    if (this.resultCache) return this.resultCache.length
    if (this.query.empty) return 0
    const backend = this.backend()
    const query = this.query.clone()
    const columns = this.state.mode === 'models' && !query.hasAggregate
      ? [selectColumn({ alias: query.baseAlias, field: this.model._meta.pk }, '__pk', backend)]
      : this.state.mode === 'models'
        ? this.modelColumns(query, backend).map((r) => r.column)
        : this.valueReaders(query, backend).map((r) => r.column)
    const result = await runQuery<{ __count: unknown }>(this.db, compileCount(query, columns, backend).compile(backend.kysely))
    return Number(result.rows[0]?.__count ?? 0)
  }

  /** Whether any row matches (a `SELECT 1 … LIMIT 1`). */
  async exists(): Promise<boolean> {
    if (this.resultCache) return this.resultCache.length > 0
    if (this.query.empty) return false
    const backend = this.backend()
    const query = this.query.clone()
    query.ordering = []
    query.setLimits(undefined, 1)
    const one = { key: 'a', expression: sql`1 AS ${sql.id('a')}` }
    const columns = query.hasAggregate ? [one, ...this.modelColumns(query, backend).map((r) => r.column)] : [one]
    const result = await runQuery(this.db, compileSelect(query, columns, backend).compile(backend.kysely))
    return result.rows.length > 0
  }

  /** The first row (by the ordering, or by primary key when unordered), or null. */
  async first(): Promise<R | null> {
    const qs = this.isOrdered() ? this : this.orderBy('pk')
    const rows = await qs.slice(0, 1).fetch()
    return rows[0] ?? null
  }

  /** The last row (by the ordering, or by primary key when unordered), or null. */
  async last(): Promise<R | null> {
    const qs = this.isOrdered() ? this.reverse() : this.orderBy('-pk')
    const rows = await qs.slice(0, 1).fetch()
    return rows[0] ?? null
  }

  private isOrdered(): boolean {
    return (this.query.ordering ?? this.model._meta.ordering).length > 0
  }

  /**
   * Updates every matching row in one statement; values may be F expressions. Returns the number
   * of rows matched.
   *
   * @example
   * await Book.objects.filter({ year__lt: 1900 }).update({ pages: F('pages').add(1) })
   */
  async update(values: Record<string, unknown>): Promise<number> {
    this.assertNotSliced('update')
    const meta = this.model._meta
    const qs = this.forWrite()
    const backend = connections.get(qs.db)
    const target = new Query(this.model)
    const updates = Object.entries(values).map(([name, value]) => {
      const field = this.concreteField(name)
      if (field.primaryKey && field.autoCreatedValue) throw new FieldError(`Cannot update the auto primary key '${field.name}' of ${meta.objectName}.`)
      return { field, value }
    })
    if (updates.length === 0) return 0
    if (this.query.empty) return 0
    // As Django: a failure from here on (a value refused, the UPDATE itself) dooms the enclosing block.
    return markForRollbackOnError(qs.db, async () => {
      const assignments = updates.map(({ field, value }) => {
        if (value instanceof Expression) {
          const resolved = (value as Expression).resolve(target, {})
          if (target.joins.length > 0) throw new FieldError('Joined field references are not permitted in this query')
          return sql`${sql.id(field.column)} = ${resolved.compile(backend)}`
        }
        const raw = value !== null && typeof value === 'object' && (value as Model)._isModel ? (value as Model).pk : value
        return sql`${sql.id(field.column)} = ${backend.adaptValue(field.dbType, field.getDbPrepSave(raw))}`
      })
      const statement = sql`UPDATE ${sql.table(meta.dbTable)} SET ${sql.join(assignments)} WHERE ${this.matchingRows(backend)}`
      const result = await runQuery(qs.db, statement.compile(backend.kysely))
      return Number(result.numAffectedRows ?? 0)
    })
  }

  /**
   * The WHERE condition of an UPDATE or DELETE: the filter itself when it needs no join, else the
   * primary key in a subquery (wrapped so MySQL accepts it beside UPDATE/DELETE).
   */
  private matchingRows(backend: DatabaseBackend): RawBuilder<unknown> {
    const query = this.query.clone()
    query.ordering = []
    if (query.joins.length === 0 && !query.hasAggregate) return compileCondition(query, backend)
    const pk = this.model._meta.pk
    const inner = sql`SELECT ${sql.ref(`${query.baseAlias}.${pk.column}`)} AS ${sql.id('pk')} FROM ${compileFrom(query, backend)}${compileWhere(query, backend)}`
    return sql`${sql.ref(pk.column)} IN (SELECT ${sql.id('pk')} FROM (${inner}) AS ${sql.id('matched')})`
  }

  /**
   * Deletes every matching row through the Collector (cascades, PROTECT, RESTRICT, SET_NULL…),
   * in one transaction; returns the total and the count per model label.
   *
   * @example
   * const [total, perModel] = await Author.objects.filter({ name__startswith: 'X' }).delete()
   */
  async delete(): Promise<[number, Record<string, number>]> {
    this.assertNotSliced('delete')
    if (this.state.mode !== 'models') throw new TypeError('Cannot call delete() after values() or valuesList().')
    if (this.query.distinct) throw new TypeError('Cannot call delete() after distinct().')
    const qs = this.forWrite().orderBy()
    const collector = new Collector(qs.db, this)
    // As Django: collecting runs before the deletion's block, so a ProtectedError it raises leaves
    // an enclosing transaction usable; the deletion itself joins it without a savepoint.
    await collector.collectQueryset(qs as unknown as QuerySet<any>)
    return collector.delete()
  }

  /** Deletes the matching rows with one DELETE, no signals and no cascade; returns the count. */
  async rawDelete(): Promise<number> {
    if (this.query.empty) return 0
    const { db, backend, statement } = this.deleteStatement()
    const result = await runQuery(db, statement.compile(backend.kysely))
    return Number(result.numAffectedRows ?? 0)
  }

  /**
   * rawDelete() that returns the primary keys of the rows it deleted (`DELETE … RETURNING`), for
   * deleting what they own by exactly those keys. Only where `features.canReturnRowsFromDelete`.
   */
  async rawDeleteReturningKeys(): Promise<unknown[]> {
    if (this.query.empty) return []
    const { db, backend, statement } = this.deleteStatement()
    if (!backend.features.canReturnRowsFromDelete) throw new TypeError(`${db}'s database cannot return rows from DELETE.`)
    const pk = this.model._meta.pk
    // Read back as a select reads the key (SQLite returns big integers as text, to keep every digit).
    const key = sql`${backend.selectColumn(pk.dbType, sql.ref(pk.column))} AS ${sql.id('pk')}`
    const result = await runQuery<Record<string, unknown>>(db, sql`${statement} RETURNING ${key}`.compile(backend.kysely))
    const convert = fieldConverter(pk, backend.converter(pk.dbType))
    return result.rows.map((row) => (convert && row.pk !== null ? convert(row.pk) : row.pk))
  }

  /** `DELETE FROM <table> WHERE <the matching rows>` on the write database. */
  private deleteStatement(): { db: string; backend: DatabaseBackend; statement: RawBuilder<unknown> } {
    const db = this.forWrite().db
    const backend = connections.get(db)
    return { db, backend, statement: sql`DELETE FROM ${sql.table(this.model._meta.dbTable)} WHERE ${this.matchingRows(backend)}` }
  }

  /**
   * Streams the rows in chunks, never holding the whole result: `prefetchRelated` lookups run per
   * chunk.
   *
   * @example
   * for await (const item of TaggedItem.objects.prefetchRelated('contentObject').iterator({ chunkSize: 2000 })) { … }
   */
  async *iterator(options: { chunkSize?: number } = {}): AsyncGenerator<R> {
    const chunkSize = options.chunkSize ?? 2000
    if (!Number.isInteger(chunkSize) || chunkSize <= 0) throw new TypeError('Chunk size must be strictly positive.')
    const pk = this.model._meta.pk
    const ordering = this.query.ordering ?? this.model._meta.ordering
    const byKey = ordering.length === 0 || (ordering.length === 1 && ['pk', pk.name, '-pk', `-${pk.name}`].includes(ordering[0]!))
    if (byKey && !this.query.isSliced && this.state.mode === 'models' && !this.query.hasAggregate && !this.query.distinct) {
      // Keyset pagination on the primary key: each chunk is one indexed query, memory stays flat.
      const descending = ordering.length === 1 && ordering[0]!.startsWith('-')
      let last: unknown = undefined
      for (;;) {
        let qs = this.orderBy(descending ? '-pk' : 'pk')
        if (last !== undefined) qs = qs.filter({ [descending ? 'pk__lt' : 'pk__gt']: last })
        const chunk = await qs.slice(0, chunkSize).fetch()
        for (const row of chunk) yield row
        if (chunk.length < chunkSize) return
        last = (chunk[chunk.length - 1] as unknown as Model).pk
      }
    }
    const low = this.query.low
    const high = this.query.high
    for (let offset = low; high === undefined || offset < high; offset += chunkSize) {
      const end = high === undefined ? offset + chunkSize : Math.min(high, offset + chunkSize)
      const qs = new QuerySet<M, R>(this.model, Object.assign(this.query.clone(), { low: offset, high: end }), this.state)
      const chunk = await qs.fetch()
      for (const row of chunk) yield row
      if (chunk.length < end - offset) return
    }
  }

  /** Runs the query (once) and returns its rows. */
  async fetch(): Promise<R[]> {
    if (!this.resultCache) this.resultCache = await this.execute()
    return this.resultCache
  }

  /**
   * Rows whose `column` equals a value loaded just before the query runs (a content type id):
   * how generic relation managers restrict their rows.
   */
  withExtraCondition(extra: JoinExtra): QuerySet<M, R> {
    return this.chain((query) => { query.extraWhere = [...query.extraWhere, extra] })
  }

  /** Rows of this queryset all point at `instance` through `fieldName`: cache it on each. */
  knownRelated(fieldName: string, instance: Model): QuerySet<M, R> {
    return this.chain(undefined, { known: { fieldName, instance } })
  }

  /** A queryset whose results are already known (prefetched rows). */
  withResults(rows: R[]): QuerySet<M, R> {
    const qs = this.chain()
    qs.resultCache = rows
    return qs
  }

  /** The rows already fetched, if this queryset was evaluated. */
  get cachedResults(): readonly R[] | undefined {
    return this.resultCache
  }

  /** The SQL of this queryset as a subquery selecting one column (for `pk__in: queryset`). */
  asSubquery(backend: DatabaseBackend): RawBuilder<unknown> {
    const query = this.query.clone()
    let column: SelectColumn
    if (this.state.mode !== 'models') {
      const readers = this.valueReaders(query, backend)
      if (readers.length !== 1) throw new TypeError('A queryset used as a value must select exactly one field (valuesList with one field, or values with one field).')
      column = readers[0]!.column
    } else {
      column = selectColumn({ alias: query.baseAlias, field: this.model._meta.pk }, '__pk', backend)
    }
    return compileSubquery(query, column, backend)
  }

  then<T1 = R[], T2 = never>(
    onfulfilled?: ((value: R[]) => T1 | PromiseLike<T1>) | null,
    onrejected?: ((reason: unknown) => T2 | PromiseLike<T2>) | null,
  ): Promise<T1 | T2> {
    return this.fetch().then(onfulfilled, onrejected)
  }

  async *[Symbol.asyncIterator](): AsyncIterator<R> {
    for (const row of await this.fetch()) yield row
  }

  private backend(): DatabaseBackend {
    return connections.get(this.db)
  }

  private async execute(): Promise<R[]> {
    if (this.query.empty) return []
    const db = this.db
    const backend = connections.get(db)
    // Loading related rows, values() paths and locks change the query: work on a copy then.
    const changes = this.query.forUpdate !== null || this.query.selectRelated !== null || this.state.mode !== 'models'
    const query = changes ? this.query.clone() : this.query
    if (query.forUpdate) {
      if (!inAtomicBlock(db)) throw new TransactionManagementError('select_for_update cannot be used outside of a transaction.')
      if (!backend.features.hasSelectForUpdate) query.forUpdate = null
    }
    if (this.state.mode === 'models') {
      const loader = this.buildLoader(query, backend)
      const columns = loader.columns
      const result = await runSelect(db, compileSelect(query, columns, backend).compile(backend.kysely), columns.map((c) => c.key))
      // In place: each row array is garbage once its instance exists, so the collections that run
      // while many rows load copy only the rows still to come.
      const rows = result as unknown[]
      for (let i = 0; i < rows.length; i++) rows[i] = this.hydrate(rows[i] as unknown[], loader.loader, db)
      const known = this.state.known
      if (known) for (const row of rows as Model[]) row._state.fieldsCache[known.fieldName] = known.instance
      if (this.state.prefetch.length > 0) await prefetchRelatedObjects(rows as Model[], ...this.state.prefetch)
      return rows as R[]
    }
    // As Django 3.1+: Meta.ordering does not apply to grouped values() queries.
    if (query.hasAggregate && query.ordering === null) query.ordering = []
    const readers = this.valueReaders(query, backend)
    const columns = readers.map((r) => r.column)
    const rows = await runSelect(db, compileSelect(query, columns, backend).compile(backend.kysely), columns.map((c) => c.key))
    const plan = readers.map((r) => r.reader)
    switch (this.state.mode) {
      case 'values': return rows.map((row) => readValues(row, plan)) as R[]
      case 'valuesList': return rows.map((row) => plan.map((p) => readOne(row, p))) as R[]
      default: return rows.map((row) => readOne(row, plan[0]!)) as R[]
    }
  }

  /**
   * The selected columns of a model. Related models' (selectRelated, `prefix` their path) get
   * short aliases by position, `firstIndex` on: a path-long alias would pass PostgreSQL's 63 bytes.
   */
  private modelColumns(query: Query, backend: DatabaseBackend, alias = query.baseAlias, model = this.model, prefix = '', firstIndex = 0): Array<{ column: SelectColumn; reader: Reader }> {
    const meta = model._meta
    const isBase = prefix === ''
    const fields = meta.concreteFields.filter((f) =>
      f.primaryKey || !isBase || (query.onlyFields ? query.onlyFields.has(f.name) : !query.deferredFields.has(f.name)))
    return fields.map((field, index) => {
      const key = isBase ? field.column : `__r${firstIndex + index}`
      return {
        column: selectColumn({ alias, field }, key, backend),
        reader: { index, target: field.attname, convert: fieldConverter(field, backend.converter(field.dbType)) },
      }
    })
  }

  private buildLoader(query: Query, backend: DatabaseBackend): { loader: Loader; columns: SelectColumn[] } {
    const columns: SelectColumn[] = []
    const build = (model: typeof Model, alias: string, prefix: string, paths: string[] | true, depth: number): Loader => {
      const own = this.modelColumns(query, backend, alias, model, prefix, columns.length)
      const readers = own.map((c) => ({ ...c.reader, index: columns.length + c.reader.index }))
      columns.push(...own.map((c) => c.column))
      if (prefix === '') {
        let i = 0
        for (const [name, expression] of query.annotations) {
          const key = `__a${i++}`
          readers.push({ index: columns.length, target: name, convert: (v) => convertExpression(expression, v, backend) })
          columns.push(selectExpression(expression, key, backend))
        }
      }
      const related: Loader['related'] = []
      const fks = model._meta.concreteFields.filter((f): f is ForeignKey<any, any> => f instanceof ForeignKey)
      for (const fk of fks) {
        let childPaths: string[] | true
        if (paths === true) {
          if (fk.null || depth >= 5) continue
          childPaths = true
        } else {
          const matching = paths.filter((p) => p === fk.name || p.startsWith(`${fk.name}__`))
          if (matching.length === 0) continue
          childPaths = matching.map((p) => p.slice(fk.name.length + 2)).filter(Boolean)
        }
        const childAlias = query.resolvePath([...(alias === query.baseAlias ? [] : aliasPath(prefix)), fk.name, 'pk'], { allowLookups: false, keepJoins: true }).col.alias
        const child = build(fk.relatedModel, childAlias, `${prefix}${fk.name}__`, childPaths, depth + 1)
        related.push({ field: fk, loader: child })
      }
      const pkIndex = readers.find((r) => r.target === model._meta.pk.attname)!.index
      const deferred = prefix === '' && (query.onlyFields || query.deferredFields.size > 0)
        ? model._meta.concreteFields.filter((f) => !own.some((o) => o.reader.target === f.attname)).map((f) => f.attname)
        : []
      return { model, readers, build: rowBuilder(model, readers), pkIndex, deferred, related }
    }
    const loader = build(this.model, query.baseAlias, '', query.selectRelated ?? [], 0)
    return { loader, columns }
  }

  private hydrate(row: unknown[], loader: Loader, db: string): Model {
    const instance = loader.build(row, db)
    if (loader.deferred.length > 0) deferFields(instance, loader.deferred)
    for (const { field, loader: child } of loader.related) {
      const key = row[child.pkIndex]
      instance._state.fieldsCache[field.name] = key === null || key === undefined ? null : this.hydrate(row, child, db)
    }
    return instance
  }

  private valueReaders(query: Query, backend: DatabaseBackend): Array<{ column: SelectColumn; reader: Reader }> {
    const before = new Set(this.state.annotationsBeforeValues ?? [])
    const later = [...query.annotations.keys()].filter((name) => !before.has(name) && !this.state.fieldNames.includes(name))
    const names = this.state.fieldNames.length > 0
      ? [...this.state.fieldNames, ...later]
      : [...this.model._meta.concreteFields.map((f) => f.attname), ...query.annotations.keys()]
    // Short keys in SQL: PostgreSQL cuts longer aliases to 63 bytes.
    return names.map((name, i) => {
      const key = `__v${i}`
      const annotation = query.annotations.get(name)
      if (annotation) {
        return { column: selectExpression(annotation, key, backend), reader: { index: i, target: name, convert: (v: unknown) => convertExpression(annotation, v, backend) } }
      }
      const { col } = query.resolvePath(name.split('__'), { allowLookups: false })
      return {
        column: selectColumn(col, key, backend),
        reader: { index: i, target: name, convert: fieldConverter(col.field, backend.converter(col.field.dbType)) },
      }
    })
  }
}

function aliasPath(prefix: string): string[] {
  return prefix.split('__').filter(Boolean)
}

/** How a column's value becomes the field's: undefined when the driver's value is already it. */
function fieldConverter(field: Field, backendConverter: ValueConverter | undefined): ((value: unknown) => unknown) | undefined {
  if (backendConverter) return (value) => field.fromDb(backendConverter(value))
  if (hasIdentityFromDb(field)) return undefined
  return (value) => field.fromDb(value)
}

/** Text fields (and keys to them) keep what the driver returns. */
function hasIdentityFromDb(field: Field): boolean {
  const target = (field as { targetField?: Field }).targetField ?? field
  return target.fromDb === Field.prototype.fromDb
}

/** How an aggregate computed over a subquery column converts its result. */
function aggregateConverter(aggregate: Aggregate, source: Resolved | undefined, backend: DatabaseBackend): (value: unknown) => unknown {
  if (aggregate.fn === 'COUNT') return (value) => Number(value ?? 0)
  if (aggregate.fn === 'AVG') return (value) => (value === null || value === undefined ? null : Number(value))
  const output: Resolved = { outputField: source?.outputField, containsAggregate: true, compile: () => sql`` }
  return (value) => convertExpression(output, value, backend)
}

function convertExpression(expression: Resolved, value: unknown, backend: DatabaseBackend): unknown {
  if (expression.convert) return expression.convert(value, backend)
  if (value === null || value === undefined) return null
  const field = expression.outputField
  if (!field) return typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)) ? Number(value) : value
  const convert = backend.converter(field.dbType)
  return field.fromDb(convert ? convert(value) : value)
}

function readOne(row: unknown[], reader: Reader): unknown {
  const value = row[reader.index]
  if (value === null || value === undefined) return null
  return reader.convert ? reader.convert(value) : value
}

function readValues(row: unknown[], plan: readonly Reader[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const reader of plan) out[reader.target] = readOne(row, reader)
  return out
}

/** Deferred fields load on access: reading one gives a promise of its value, then the value itself. */
function deferFields(instance: Model, attnames: string[]): void {
  const model = instance.constructor as typeof Model
  instance._state.deferredFields = new Set(attnames.map((a) => model._meta.getField(a).name))
  for (const attname of attnames) {
    Object.defineProperty(instance, attname, {
      configurable: true,
      enumerable: true,
      get(this: Model) {
        if (isStrictRelations()) {
          throw new FieldError(`${model._meta.label}.${attname} was deferred (only()/defer()) and strict mode forbids loading it on access.`)
        }
        return this.refreshFromDb({ fields: [model._meta.getField(attname).name] }).then(() => (this as any)[attname])
      },
      set(this: Model, value: unknown) {
        Object.defineProperty(this, attname, { value, writable: true, enumerable: true, configurable: true })
        this._state.deferredFields?.delete(model._meta.getField(attname).name)
      },
    })
  }
}

function resolveCallables(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === 'function' ? (v as () => unknown)() : v]))
}

/** get_or_create's creation parameters: exact lookups of the filter, then the defaults. */
function extractCreateParams(lookup: LookupArgs, defaults: Record<string, unknown> = {}): Record<string, unknown> {
  const params: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(lookup)) {
    if (key.includes('__')) {
      if (key.endsWith('__exact')) params[key.slice(0, -7)] = value
      continue
    }
    params[key] = value
  }
  return { ...params, ...resolveCallables(defaults) }
}

function autoNowFields(model: typeof Model): string[] {
  return model._meta.concreteFields.filter((f) => (f as { autoNow?: boolean }).autoNow).map((f) => f.name)
}

export { prepareValue, Prefetch, type BulkCreateOptions }
