import type { Model } from '../model.ts'
import type { Field } from '../fields/field.ts'
import { ForeignKey } from '../fields/foreign-key.ts'
import { FieldError } from '../errors.ts'
import { Q } from './q.ts'
import { isLookupName, lookupNames } from './lookups.ts'
import { isExpression, resolvedCol, type Resolved } from './expressions.ts'

/** A column of a table in the query: which alias, which field. */
export interface Col {
  readonly alias: string
  readonly field: Field
}

/** A join from one alias to a related table. */
export interface Join {
  readonly alias: string
  readonly table: string
  readonly parentAlias: string
  readonly parentColumn: string
  readonly column: string
  /** LEFT OUTER when the related row may be missing. */
  readonly outer: boolean
  /** True when the join can match several rows (reverse relations). */
  readonly multiValued: boolean
  /** An extra ON condition (a generic relation's content type). */
  readonly extra?: JoinExtra | undefined
  /** Compare the parent's column as text, converting from this internal type (text object ids). */
  readonly parentText?: string | undefined
  /** Compare the joined table's column as text, converting from this internal type. */
  readonly childText?: string | undefined
}

/**
 * An extra condition in a join's ON clause (or a WHERE) on a generic relation's content type id:
 * `<column> = value`, the value bound, or SQL (a subquery; compared with IN where NOT may apply).
 */
export interface JoinExtra {
  readonly column: string
  /** The column belongs to the join's parent side (else to the joined table). */
  readonly onParent?: boolean
  /** Identifies the condition, so equal joins are reused. */
  readonly key: string
  /** The value for a database alias: a plain value, or SQL (a RawBuilder subquery). */
  value(alias: string): unknown
}

/**
 * One step of a lookup path that leaves the current model: a forward foreign key, a reverse
 * relation, or a generic relation. Fields and relations that can be traversed provide it.
 */
export interface PathStep {
  readonly model: typeof Model
  readonly parentColumn: string
  readonly column: string
  readonly multiValued: boolean
  readonly nullable: boolean
  /** The field of the joined model that the step arrives at (for `relation__lookup`). */
  readonly targetField: Field
  /** For split excludes: the field of the joined model that points back, and the parent's column it holds. */
  readonly backField?: Field
  readonly parentField?: Field
  readonly extra?: JoinExtra | undefined
  /** See Join.parentText / Join.childText. */
  readonly parentText?: string | undefined
  readonly childText?: string | undefined
}

/** A resolved condition: an expression, a lookup name and the value (or expression) to compare with. */
export interface LookupCondition {
  readonly kind: 'lookup'
  readonly lhs: Resolved
  readonly field: Field
  readonly lookup: string
  readonly value: unknown
  /** True when the lhs may be NULL (nullable column or outer join). */
  readonly nullable: boolean
  /** True when the value is an expression that may be NULL (F() of a nullable or outer-joined column). */
  readonly valueNullable?: boolean
}

/** `lhs IN (SELECT … FROM inner)`: how exclude() crosses a multi-valued relation. */
export interface SubqueryCondition {
  readonly kind: 'subquery'
  readonly lhs: Resolved
  readonly inner: Query
  readonly innerCol: Col
  /** Compare the outer column as text (it is matched against a text object id). */
  readonly lhsText?: string | undefined
  /** Select the inner column as text (it is matched against a text object id). */
  readonly innerText?: string | undefined
  /** The outer column may be NULL (an outer join): under NOT, require it to be set. */
  readonly nullable?: boolean
  /** An extra equality on the outer row (a generic relation's content type, seen from the related side). */
  readonly outerExtra?: { readonly alias: string; readonly extra: JoinExtra } | undefined
}

/** A tree of conditions. */
export interface WhereNode {
  readonly kind: 'node'
  readonly connector: 'AND' | 'OR'
  readonly negated: boolean
  readonly children: ReadonlyArray<WhereNode | LookupCondition | SubqueryCondition>
}

/** One ORDER BY term. */
export interface OrderTerm {
  readonly expression: Resolved
  readonly descending: boolean
}

/** Options of path resolution. */
export interface PathOptions {
  /** Aliases multi-valued joins may reuse (those of the current filter call); undefined: any. */
  readonly reuse?: Set<string> | undefined
  readonly allowLookups?: boolean
  /** Join the related table even for `fk__pk` (selectRelated needs the join itself). */
  readonly keepJoins?: boolean
}

interface ResolvedPath {
  col: Col
  rest: string[]
  nullable: boolean
  /** Where the path first crossed a multi-valued relation, for split excludes. */
  multiValued?: { index: number; parentAlias: string; alias: string; step: PathStep }
}

/**
 * The state behind a QuerySet: what to select, from where, filtered, grouped and ordered how.
 * Changed only on clones.
 */
export class Query {
  joins: Join[] = []
  where: WhereNode | null = null
  having: WhereNode | null = null
  /** Explicit ordering (null: the model's Meta ordering). */
  ordering: string[] | null = null
  /** Reverse the ordering (for `last()` and `reverse()`). */
  reversed = false
  low = 0
  high: number | undefined = undefined
  distinct = false
  /** Only these fields are loaded (only()), or these are left out (defer()). */
  onlyFields: Set<string> | null = null
  deferredFields: Set<string> = new Set()
  /** Never matches (none()). */
  empty = false
  /** Named expressions added by annotate(), in order. */
  annotations: Map<string, Resolved> = new Map()
  /** Forward relations joined and loaded with the rows (selectRelated), as paths. */
  selectRelated: string[] | true | null = null
  forUpdate: { nowait: boolean; skipLocked: boolean } | null = null
  private joinCounter = 1

  constructor(readonly model: typeof Model) {}

  get baseAlias(): string {
    return this.model._meta.dbTable
  }

  clone(): Query {
    const copy = Object.create(Query.prototype) as Query
    Object.assign(copy, this)
    copy.joins = [...this.joins]
    copy.ordering = this.ordering && [...this.ordering]
    copy.onlyFields = this.onlyFields && new Set(this.onlyFields)
    copy.deferredFields = new Set(this.deferredFields)
    copy.annotations = new Map(this.annotations)
    copy.selectRelated = Array.isArray(this.selectRelated) ? [...this.selectRelated] : this.selectRelated
    return copy
  }

  /** True when an annotation aggregates: rows are then grouped. */
  get hasAggregate(): boolean {
    for (const a of this.annotations.values()) if (a.containsAggregate) return true
    return false
  }

  /** Adds a filter condition (ANDed with what is there); conditions on aggregates go to HAVING. */
  addQ(q: Q): void {
    if (q.isEmpty) return
    const reuse = new Set<string>()
    const node = this.resolveQ(q, false, reuse)
    const target = this.referencesAggregate(node) ? 'having' : 'where'
    if (target === 'where') this.demoteRequiredJoins(node)
    const current = this[target]
    this[target] = current ? { kind: 'node', connector: 'AND', negated: false, children: [current, node] } : node
  }

  /**
   * Joins that an AND-ed condition requires to match (a comparison that NULL never satisfies) can
   * be INNER joins: the rows they would keep as NULL are filtered out anyway, and an inner join
   * lets the database start from the joined table (Django's join promotion, in its simple form).
   */
  private demoteRequiredJoins(node: WhereNode | LookupCondition | SubqueryCondition): void {
    if (node.kind === 'node') {
      if (node.negated || node.connector !== 'AND') return
      for (const child of node.children) this.demoteRequiredJoins(child)
      return
    }
    if (node.kind !== 'lookup' || node.lookup === 'isnull' || !node.lhs.col) return
    let alias: string | undefined = node.lhs.col.alias
    while (alias) {
      const index = this.joins.findIndex((j) => j.alias === alias)
      if (index < 0) return
      const join = this.joins[index]!
      if (join.outer) this.joins[index] = { ...join, outer: false }
      alias = join.parentAlias
    }
  }

  private referencesAggregate(node: WhereNode | LookupCondition | SubqueryCondition): boolean {
    if (node.kind === 'node') return node.children.some((c) => this.referencesAggregate(c))
    return node.lhs.containsAggregate
  }

  /** Sets offset/limit as Python slicing does, relative to any slice already applied. */
  setLimits(low: number | undefined, high: number | undefined): void {
    if (high !== undefined) this.high = this.high !== undefined ? Math.min(this.high, this.low + high) : this.low + high
    if (low !== undefined) this.low = this.high !== undefined ? Math.min(this.high, this.low + low) : this.low + low
  }

  get isSliced(): boolean {
    return this.low !== 0 || this.high !== undefined
  }

  private resolveQ(q: Q, negatedContext: boolean, reuse: Set<string>): WhereNode {
    const negated = negatedContext !== q.negated
    const children = q.children.map((child) =>
      child instanceof Q ? this.resolveQ(child, negated, reuse) : this.resolveLookup(child[0], child[1], negated, reuse))
    return { kind: 'node', connector: q.connector, negated: q.negated, children }
  }

  /** Resolves `author__name__icontains` to an expression (adding joins) and a lookup name. */
  resolveLookup(path: string, value: unknown, negated = false, reuse: Set<string> = new Set()): LookupCondition | SubqueryCondition | WhereNode {
    const parts = path.split('__')
    const annotation = this.annotations.get(parts[0]!)
    let lhs: Resolved
    let field: Field
    let rest: string[]
    let nullable = true
    if (annotation) {
      lhs = annotation
      rest = parts.slice(1)
      field = annotation.outputField ?? this.model._meta.pk
    } else {
      const joinsBefore = this.joins.length
      const resolved = this.resolvePath(parts, { reuse, allowLookups: true })
      if (negated && resolved.multiValued) {
        this.dropJoinsFrom(resolved.multiValued.alias, joinsBefore, reuse)
        return this.splitExclude(parts, value, resolved.multiValued)
      }
      lhs = resolvedCol(resolved.col)
      field = resolved.col.field
      rest = resolved.rest
      nullable = resolved.nullable || field.null
    }
    let lookup = 'exact'
    if (rest.length === 1) {
      lookup = rest[0]!
      if (!isLookupName(lookup)) throw unsupportedLookup(lookup, field)
    } else if (rest.length > 1) {
      throw unsupportedLookup(rest.join('__'), field)
    }
    if (value === null && lookup === 'exact') {
      lookup = 'isnull'
      value = true
    }
    if (value === null && lookup !== 'isnull') {
      throw new TypeError(`Cannot use None as a query value: ${this.model._meta.label} lookup '${path}'. Use '${parts.slice(0, parts.length - rest.length).join('__')}__isnull: true' instead.`)
    }
    if (value === undefined) {
      throw new TypeError(`${this.model._meta.label}: the value of lookup '${path}' is undefined. Pass a value, or leave the lookup out.`)
    }
    let valueNullable = false
    if (isExpression(value)) {
      const resolvedValue = value.resolve(this, { reuse })
      const col = resolvedValue.col
      valueNullable = col ? col.field.null || this.joins.some((j) => j.alias === col.alias && j.outer) : resolvedValue.outputField?.null ?? true
      value = resolvedValue
    }
    return { kind: 'lookup', lhs, field, lookup, value, nullable, valueNullable }
  }

  /** Removes a join added by the current lookup, and those hanging from it (a split exclude replaces them). */
  private dropJoinsFrom(alias: string, firstNew: number, reuse: Set<string>): void {
    const dropped = new Set<string>([alias])
    for (const join of this.joins) if (dropped.has(join.parentAlias)) dropped.add(join.alias)
    this.joins = this.joins.filter((join, index) => index < firstNew || !dropped.has(join.alias))
    for (const name of dropped) reuse.delete(name)
  }

  /**
   * exclude() across a multi-valued relation: `parent.key NOT IN (SELECT back_key FROM related
   * WHERE <rest of the lookup>)`, so exclude() is the exact complement of filter().
   */
  private splitExclude(parts: string[], value: unknown, at: NonNullable<ResolvedPath['multiValued']>): SubqueryCondition | WhereNode {
    const step = at.step
    const inner = new Query(step.model)
    const restPath = parts.slice(at.index + 1)
    // `relation__isnull`: whether any related row exists, not a condition on one.
    const existence = restPath.length === 1 && restPath[0] === 'isnull'
    let condition = new Q({ [`${step.backField!.name}__isnull`]: false })
    if (!existence) {
      const innerLookup = restPath.length === 0 || isLookupName(restPath[0]!) ? ['pk', ...restPath] : restPath
      condition = new Q({ [innerLookup.join('__')]: value }).and(condition)
    }
    if (step.extra && !step.extra.onParent) inner.extraWhere.push(step.extra)
    inner.addQ(condition)
    const outerField = step.parentField!
    const parentJoin = this.joins.find((j) => j.alias === at.parentAlias)
    const subquery: SubqueryCondition = {
      kind: 'subquery',
      lhs: resolvedCol({ alias: at.parentAlias, field: outerField }),
      inner,
      innerCol: { alias: inner.baseAlias, field: step.backField! },
      lhsText: step.parentText,
      innerText: step.childText,
      nullable: outerField.null || (parentJoin?.outer ?? false),
      outerExtra: step.extra?.onParent ? { alias: at.parentAlias, extra: step.extra } : undefined,
    }
    if (existence && value === true) return { kind: 'node', connector: 'AND', negated: true, children: [subquery] }
    return subquery
  }

  /** Extra equalities on the base table (a generic relation's content type). */
  extraWhere: JoinExtra[] = []

  /**
   * Walks names through relations. Returns the final column and the parts left over (lookup
   * names). A relation followed by nothing (or by a lookup) resolves to its key column.
   */
  resolvePath(parts: string[], options: PathOptions = {}): ResolvedPath {
    let model = this.model
    let alias = this.baseAlias
    let nullable = false
    let multiValued: ResolvedPath['multiValued']
    const allowLookups = options.allowLookups ?? true
    for (let i = 0; i < parts.length; i++) {
      const name = parts[i]!
      const meta = model._meta
      const next = parts[i + 1]
      const nextIsLookup = next !== undefined && allowLookups && isLookupName(next)
      const field = name === 'pk' ? meta.pk : meta.findField(name)
      if (field && field.concrete) {
        if (field instanceof ForeignKey && next !== undefined && !(nextIsLookup && !field.relatedModel._meta.findField(next) && !field.relatedModel._meta.findRelatedObject(next))) {
          // `fk__pk` (or the key's target field) is the key's own column: no join (Django trims it too).
          const after = parts[i + 2]
          const target = field.targetField
          const namesTarget = next === 'pk' ? target === field.relatedModel._meta.pk : next === target.name || next === target.attname
          if (namesTarget && !options.keepJoins && (after === undefined || (allowLookups && isLookupName(after)))) {
            return { col: { alias, field }, rest: parts.slice(i + 2), nullable: nullable || field.null, multiValued }
          }
          const step = forwardStep(field)
          nullable = nullable || field.null
          alias = this.join(alias, step, nullable, options.reuse)
          model = step.model
          continue
        }
        return { col: { alias, field }, rest: parts.slice(i + 1), nullable, multiValued }
      }
      const step = pathStepOf(model, name, field)
      if (!step) throw cannotResolve(name, model)
      const parentAlias = alias
      nullable = nullable || step.nullable
      alias = this.join(alias, step, nullable, options.reuse)
      if (step.multiValued && !multiValued) multiValued = { index: i, parentAlias, alias, step }
      model = step.model
      if (next === undefined || nextIsLookup && !model._meta.findField(next)) {
        return { col: { alias, field: step.targetField }, rest: parts.slice(i + 1), nullable, multiValued }
      }
    }
    return { col: { alias, field: model._meta.pk }, rest: [], nullable, multiValued }
  }

  private join(parentAlias: string, step: PathStep, outer: boolean, reuse: Set<string> | undefined): string {
    const table = step.model._meta.dbTable
    const existing = this.joins.find((j) =>
      j.parentAlias === parentAlias && j.parentColumn === step.parentColumn && j.table === table && j.column === step.column &&
      j.extra?.key === step.extra?.key &&
      (!j.multiValued || reuse === undefined || reuse.has(j.alias)))
    if (existing) {
      reuse?.add(existing.alias)
      return existing.alias
    }
    const alias = `T${++this.joinCounter}`
    this.joins.push({
      alias, table, parentAlias, parentColumn: step.parentColumn, column: step.column, outer,
      multiValued: step.multiValued, extra: step.extra, parentText: step.parentText, childText: step.childText,
    })
    reuse?.add(alias)
    return alias
  }

  /** Resolves ordering strings (`'-title'`, `'author__name'`, annotation names) to terms. */
  resolveOrdering(names: readonly string[]): OrderTerm[] {
    return names.map((name) => {
      const descending = name.startsWith('-')
      const path = descending ? name.slice(1) : name
      const annotation = this.annotations.get(path)
      if (annotation) return { expression: annotation, descending: descending !== this.reversed }
      const { col, rest } = this.resolvePath(path.split('__'), { allowLookups: false })
      if (rest.length > 0) throw cannotResolve(rest[0]!, col.field.model)
      return { expression: resolvedCol(col), descending: descending !== this.reversed }
    })
  }
}

function forwardStep(field: ForeignKey<any, any>): PathStep {
  return {
    model: field.relatedModel,
    parentColumn: field.column,
    column: field.targetField.column,
    multiValued: false,
    nullable: field.null,
    targetField: field.relatedModel._meta.pk,
  }
}

/** The step for a reverse relation or a traversable private field, if `name` is one. */
function pathStepOf(model: typeof Model, name: string, field: Field | undefined): PathStep | undefined {
  const traversable = field as { pathStep?: () => PathStep; queryError?: () => Error } | undefined
  if (traversable?.queryError) throw traversable.queryError()
  if (traversable?.pathStep) return traversable.pathStep()
  const reverse = model._meta.findReverseStep(name)
  if (reverse) return reverse.pathStep()
  const relation = model._meta.findRelatedObject(name)
  if (!relation) return undefined
  const fk = relation.field
  return {
    model: relation.relatedModel,
    parentColumn: fk.targetField.column,
    column: fk.column,
    multiValued: true,
    nullable: true,
    targetField: relation.relatedModel._meta.pk,
    backField: fk,
    parentField: fk.targetField,
  }
}

/** Field names a query on this model may use, sorted, for "Choices are" messages. */
export function fieldChoices(model: typeof Model, annotations: Iterable<string> = []): string[] {
  const names = new Set<string>(annotations)
  for (const field of model._meta.getFields()) {
    if (field.isPrivate && !(field as { pathStep?: unknown }).pathStep && !(field as { queryError?: unknown }).queryError) continue
    names.add(field.name)
    if (field.concrete && field.attname !== field.name) names.add(field.attname)
  }
  const relations = model._meta.proxy ? model._meta.concreteModel._meta.relatedObjects : model._meta.relatedObjects
  for (const relation of relations) if (!relation.hidden) names.add(relation.queryName)
  for (const step of model._meta.reverseSteps) names.add(step.name)
  return [...names].sort()
}

/** Django's FieldError for an unknown name in a lookup path. */
export function cannotResolve(name: string, model: typeof Model): FieldError {
  return new FieldError(`Cannot resolve keyword '${name}' into field. Choices are: ${fieldChoices(model).join(', ')}`)
}

function unsupportedLookup(name: string, field: Field): FieldError {
  return new FieldError(
    `Unsupported lookup '${name}' for ${field.constructor.name} or join on the field not permitted. ` +
    `Supported lookups: ${lookupNames().join(', ')}.`)
}
