import { Options, type MetaOptions } from './options.ts'
import { Field, type NullableIf } from './fields/field.ts'
import { AutoField } from './fields/number-fields.ts'
import { ForeignKey } from './fields/foreign-key.ts'
import { ModelState } from './model-state.ts'
import { Manager } from './manager.ts'
import {
  ImproperlyConfigured, MultipleObjectsReturned as BaseMultipleObjectsReturned,
  ObjectDoesNotExist, ValidationError, type ErrorDict, repr,
} from './errors.ts'
import { saveInstance, type SaveOptions } from './persistence/save.ts'
import { Collector } from './deletion.ts'
import { validateUniqueness } from './persistence/validate-unique.ts'
import { preInit } from './signals.ts'
import { instanceInitializer } from './instance-initializer.ts'
import { dbForWrite } from './routers.ts'

/** The fields of a model definition, by attribute name. */
export type FieldMap = Record<string, Field<any, any, any>>

type FkKeys<F> = { [K in keyof F]: F[K] extends ForeignKey<any, any> ? K : never }[keyof F]

/** The attributes a field map gives instances: values, relation accessors and `<fk>Id` keys. */
export type InstanceFields<F extends FieldMap> =
  { -readonly [K in keyof F]: F[K]['__attr'] } &
  { -readonly [K in FkKeys<F> as `${K & string}Id`]: F[K] extends ForeignKey<any, infer I> ? I : never }

/** What the constructor accepts for a field map. */
export type InstanceInput<F extends FieldMap> =
  { [K in keyof F]?: F[K]['__input'] } &
  { [K in FkKeys<F> as `${K & string}Id`]?: F[K] extends ForeignKey<any, infer I> ? I : never }

/** An `id: number` attribute unless some field is declared with `primaryKey: true`. */
type AutoPk<F extends FieldMap> =
  true extends { [K in keyof F]: F[K] extends { readonly __primaryKey: true } ? true : never }[keyof F]
    ? unknown : { id: number }

/** The constructor input for the automatic `id`, and `pk` for any primary key. */
type KeyInput<F extends FieldMap> = ({} extends AutoPk<F> ? unknown : { id?: number | null }) & { pk?: unknown }

/** The class `Model.define()` returns. */
export type ModelClass<I extends Model, In> = {
  new (values?: In): I
  readonly prototype: I
  /** The default manager: `Book.objects.filter(…)`. */
  readonly objects: Manager<I>
  /** The constructor input type, carried for subclasses that extend this one. */
  readonly __input?: In
} & ModelStatics

/** Statics every model class carries. */
export type ModelStatics = Pick<typeof Model, '_meta' | 'DoesNotExist' | 'MultipleObjectsReturned' | 'define' | 'getManager'>

type InputOf<C> = C extends { readonly __input?: infer P } ? (unknown extends P ? {} : P) : {}

/** Marks construction from a database row: values are assigned by the loader, not validated. */
export const FROM_DB: unique symbol = Symbol('fromDb')

/**
 * The base of every model. Declare a model with `Model.define()` and extend the class it
 * returns; instance attributes are typed from the field declarations.
 *
 * @example
 * class Author extends Model.define('library.Author', {
 *   name: f.char({ maxLength: 100 }),
 *   email: f.email({ blank: true }),
 * }, { ordering: ['name'] }) {
 *   toString() { return this.name }
 * }
 * const author = await Author.objects.create({ name: 'Ursula' })
 * author.id // number
 */
export class Model {
  /** The model's metadata; set on each class by `define()`. */
  static _meta: Options
  /** Raised by `get()` when nothing matches; each model has its own subclass. */
  static DoesNotExist: typeof ObjectDoesNotExist = ObjectDoesNotExist
  /** Raised by `get()` when several rows match; each model has its own subclass. */
  static MultipleObjectsReturned: typeof BaseMultipleObjectsReturned = BaseMultipleObjectsReturned

  /** Marks model classes for reference resolution. */
  declare readonly _isModel: true
  /** Whether the instance still has to be inserted, and where it came from. */
  declare _state: ModelState

  /**
   * Builds an instance from field values (by name, or `<fk>Id` for keys). Fields not given take
   * their default. Unknown names are an error.
   */
  constructor(values?: Record<string, unknown> | typeof FROM_DB) {
    this._state = new ModelState()
    if (values === FROM_DB) return
    const meta = (this.constructor as typeof Model)._meta
    if (!meta || meta.abstract) {
      throw new TypeError(`${this.constructor.name} is abstract (or was not made by Model.define()) and cannot be instantiated.`)
    }
    initializeInstance(this, meta, values ?? {})
  }

  /**
   * Declares a model: its label (`'app_label.ModelName'`), fields and Meta options. Returns a
   * class to extend. Called on an abstract model, the new model inherits its fields; with
   * `{ proxy: true }` on a concrete model, it makes a proxy of it.
   *
   * @example
   * const Timestamped = Model.define('core.Timestamped', { created: f.datetime({ autoNowAdd: true }) }, { abstract: true })
   * class Note extends Timestamped.define('notes.Note', { text: f.text() }) {}
   */
  static define<This extends abstract new (...args: any[]) => Model, const F extends FieldMap>(
    this: This, label: string, fields: F, meta: MetaOptions = {},
  ): ModelClass<InstanceType<This> & InstanceFields<F> & AutoPk<F>, InputOf<This> & InstanceInput<F> & KeyInput<F>> {
    return defineModel(this as unknown as typeof Model, label, fields, meta) as any
  }

  /** The default manager, `objects`. */
  static get objects(): Manager<any> {
    return this.getManager('objects')
  }

  /** A manager of this model by name (`objects`, a custom one, or the plain base manager). */
  static getManager(name: string): Manager<any> {
    const meta = this._meta
    if (!meta) throw new ImproperlyConfigured(`${this.name} was not made by Model.define().`)
    if (this !== meta.model && this.prototype instanceof meta.model) meta.adopt(this, undefined)
    const existing = meta.findManager(name)
    if (existing) return existing
    if (name !== 'objects' && name !== '__base__') {
      throw new ImproperlyConfigured(`${meta.label} has no manager named '${name}'.`)
    }
    if (meta.abstract) throw new TypeError(`Manager isn't available; '${meta.label}' is abstract.`)
    const manager = new Manager<any>()
    manager.bind(meta.model, name)
    return manager
  }

  /** The primary key value. */
  get pk(): any {
    return (this as any)[(this.constructor as typeof Model)._meta.pk.attname]
  }

  set pk(value: any) {
    ;(this as any)[(this.constructor as typeof Model)._meta.pk.attname] = value
  }

  /**
   * Inserts or updates the row. A new instance is inserted (its generated key is set); a loaded
   * one is updated, or inserted when its row is gone.
   *
   * @example
   * const book = new Book({ title: 'Dune' }); await book.save()
   * book.title = 'Dune Messiah'; await book.save({ updateFields: ['title'] })
   */
  async save(options: SaveOptions = {}): Promise<void> {
    await saveInstance(this, options)
  }

  /**
   * Deletes the row and returns how many rows went, in total and per model label.
   *
   * @example
   * const [total, perModel] = await book.delete() // [1, { 'library.Book': 1 }]
   */
  async delete(options: { using?: string; keepParents?: boolean } = {}): Promise<[number, Record<string, number>]> {
    const meta = (this.constructor as typeof Model)._meta
    if (this.pk === null || this.pk === undefined) {
      throw new TypeError(`${meta.objectName} object can't be deleted because its ${meta.pk.attname} attribute is set to None.`)
    }
    const collector = new Collector(options.using ?? this._state.db ?? dbForWrite(this.constructor as typeof Model, { instance: this }), this)
    await collector.collect([this])
    return collector.delete()
  }

  /**
   * Reloads field values from the database (all concrete fields, or those named).
   *
   * @example
   * await book.refreshFromDb({ fields: ['title'] })
   */
  async refreshFromDb(options: { using?: string; fields?: string[] } = {}): Promise<void> {
    const model = this.constructor as typeof Model
    const meta = model._meta
    const named = options.fields?.map((name) => meta.getField(name))
    const concrete = named ? named.filter((f) => f.concrete) : meta.concreteFields
    const deferred = this._state.deferredFields
    if (concrete.length > 0) {
      let qs = meta.baseManager.using(options.using ?? this._state.db ?? undefined).filter({ pk: this.pk })
      if (named) qs = qs.only(...concrete.map((f) => f.name))
      const fresh = await qs.first()
      if (!fresh) throw new model.DoesNotExist(`${meta.objectName} matching query does not exist.`)
      for (const field of concrete) {
        const wasDeferred = deferred?.has(field.name) ?? false
        const before = wasDeferred ? undefined : (this as any)[field.attname]
        // A data property replaces the deferred field's loader.
        Object.defineProperty(this, field.attname, { value: (fresh as any)[field.attname], writable: true, enumerable: true, configurable: true })
        if (field.isRelation && (wasDeferred || before !== (fresh as any)[field.attname])) delete this._state.fieldsCache[field.name]
        deferred?.delete(field.name)
      }
      this._state.db = fresh._state.db
    }
    // Cached relations of private fields (generic keys) reload too, unless other fields were named.
    for (const field of named ? named.filter((f) => f.isPrivate) : meta.privateFields) delete this._state.fieldsCache[field.name]
    if (!named) {
      for (const field of meta.relationFields) if (field.concrete) delete this._state.fieldsCache[field.name]
      this._state.prefetchedObjectsCache = {}
    }
    this._state.adding = false
    if (deferred && deferred.size === 0) this._state.deferredFields = undefined
  }

  /**
   * Validates every field, then `clean()`, then uniqueness; throws a ValidationError mapping each
   * field to its messages (Django's full_clean).
   *
   * @example
   * await new Book({ title: '' }).fullClean() // ValidationError { title: ['This field cannot be blank.'] }
   */
  async fullClean(options: { exclude?: string[]; validateUnique?: boolean } = {}): Promise<void> {
    const errors: ErrorDict = {}
    const exclude = new Set(options.exclude ?? [])
    collect(errors, () => this.cleanFields([...exclude]))
    collect(errors, () => this.clean())
    if (options.validateUnique ?? true) {
      const failed = new Set([...exclude, ...Object.keys(errors)])
      try {
        await this.validateUnique([...failed])
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error
        mergeErrors(errors, error.messageDict)
      }
    }
    if (Object.keys(errors).length > 0) throw new ValidationError(errors)
  }

  /** Cleans each field's value in place; throws a ValidationError keyed by field name. */
  cleanFields(exclude: string[] = []): void {
    const meta = (this.constructor as typeof Model)._meta
    const errors: ErrorDict = {}
    for (const field of meta.concreteFields) {
      if (exclude.includes(field.name) || !field.editable && !field.primaryKey) continue
      if (field.autoCreatedValue) continue
      const raw = (this as any)[field.attname]
      if (field.blank && (raw === null || raw === undefined || raw === '')) continue
      try {
        ;(this as any)[field.attname] = field.clean(raw, this)
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error
        errors[field.name] = error.messages
      }
    }
    if (Object.keys(errors).length > 0) throw new ValidationError(errors)
  }

  /** A hook for model-wide validation; throw a ValidationError. Does nothing by default. */
  clean(): void {}

  /** Checks unique fields and uniqueTogether against the database. */
  async validateUnique(exclude: string[] = []): Promise<void> {
    await validateUniqueness(this, exclude)
  }

  /** The label of a field's current value, for fields with choices (Django's get_FOO_display). */
  getFieldDisplay(fieldName: string): string {
    const field = (this.constructor as typeof Model)._meta.getField(fieldName)
    return field.displayFor((this as any)[field.attname])
  }

  /** Same concrete model and same primary key (an unsaved instance equals only itself). */
  equals(other: unknown): boolean {
    if (this === other) return true
    if (!(other instanceof Model)) return false
    const a = (this.constructor as typeof Model)._meta.concreteModel
    const b = (other.constructor as typeof Model)._meta.concreteModel
    if (a !== b) return false
    return this.pk !== null && this.pk !== undefined && this.pk === other.pk
  }

  toString(): string {
    return `${(this.constructor as typeof Model)._meta.objectName} object (${this.pk ?? 'None'})`
  }

  /** The concrete field values by field name, for JSON. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    for (const field of (this.constructor as typeof Model)._meta.concreteFields) out[field.attname] = (this as any)[field.attname]
    return out
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `<${(this.constructor as typeof Model)._meta.objectName}: ${this.toString()}>`
  }
}
Object.defineProperty(Model.prototype, '_isModel', { value: true })

function collect(errors: ErrorDict, fn: () => void): void {
  try {
    fn()
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error
    mergeErrors(errors, error.messageDict)
  }
}

function mergeErrors(into: ErrorDict, from: ErrorDict): void {
  for (const [key, messages] of Object.entries(from)) (into[key] ??= []).push(...messages)
}

/** Assigns constructor values and defaults; unknown names are an error, as in Django. */
function initializeInstance(instance: Model, meta: Options, values: Record<string, unknown>): void {
  if (preInit.hasListeners(meta.model)) preInit.send(meta.model, { args: values })
  const used = instanceInitializer(meta)(instance, values)
  let given = 0
  for (const key in values) if (values[key] !== undefined) given++
  if (given !== used) {
    const known = new Set(['pk', ...meta.getFields().flatMap((f) => [f.name, f.attname])])
    const unexpected = Object.keys(values).filter((k) => !known.has(k) && values[k] !== undefined)
    if (unexpected.length > 0) throw new TypeError(
      `${meta.objectName}() got unexpected keyword arguments: ${unexpected.map((k) => repr(k)).join(', ')}. ` +
      `Its fields are: ${meta.getFields().map((f) => f.name).join(', ')}.`)
  }
}

/** Builds the class returned by `Model.define()`. */
function defineModel(base: typeof Model, label: string, declared: FieldMap, metaOptions: MetaOptions): typeof Model {
  const parentMeta = base === Model ? undefined : base._meta
  // Extending the user's class (not the one define() made): that class is the parent model.
  if (parentMeta && base !== parentMeta.model && base.prototype instanceof parentMeta.model) parentMeta.adopt(base, undefined)
  if (parentMeta && !parentMeta.abstract && !metaOptions.proxy) {
    throw new ImproperlyConfigured(
      `${label} extends the concrete model ${parentMeta.label}: multi-table inheritance is not supported. ` +
      `Extend an abstract model, or pass { proxy: true } for a proxy.`)
  }
  if (metaOptions.proxy && Object.keys(declared).length > 0) {
    throw new ImproperlyConfigured(`Proxy model '${label}' contains model fields; a proxy shares its parent's fields.`)
  }
  const Defined = class extends (base as any) {} as unknown as typeof Model
  const className = label.split('.').pop() ?? 'Model'
  Object.defineProperty(Defined, 'name', { value: className })

  let fields: Field[]
  if (metaOptions.proxy) {
    // A proxy shares its parent's columns; its private fields (generic keys and relations) are
    // copies bound to it, so they use the proxy's own content type where asked to.
    fields = parentMeta!.getFields().map((field) => {
      if (!field.isPrivate) return field
      const copy = field.clone()
      ;(copy as { proxyCopy?: boolean }).proxyCopy = true
      copy.contributeToClass(Defined, field.name)
      return copy
    })
  } else {
    const inherited = parentMeta ? parentMeta.getFields().map((f) => f.clone()) : []
    for (const name of Object.keys(declared)) {
      if (inherited.some((f) => f.name === name)) {
        throw new ImproperlyConfigured(`${label}: the field '${name}' clashes with the field of that name inherited from ${parentMeta!.label}.`)
      }
      const field = declared[name]
      if (!(field instanceof Field)) throw new ImproperlyConfigured(`${label}.${name} is not a field (got ${repr(field)}).`)
    }
    fields = [...inherited, ...Object.values(declared).map((f) => (f.model ? f.clone() : f))]
    const names = [...inherited.map((f) => f.name), ...Object.keys(declared)]
    if (!metaOptions.abstract && !fields.some((f) => f.primaryKey)) {
      if (names.includes('id')) {
        throw new ImproperlyConfigured(`${label}: 'id' can only be used as a field name if the field also sets 'primaryKey: true'.`)
      }
      fields.unshift(new AutoField())
      names.unshift('id')
    }
    fields.forEach((field, i) => field.contributeToClass(Defined, names[i]!))
  }
  const meta = new Options(label, fields, metaOptions, parentMeta)
  Defined._meta = meta
  meta.adopt(Defined, undefined)
  meta.concreteModel = metaOptions.proxy ? parentMeta!.concreteModel : Defined
  const parentDoesNotExist = metaOptions.proxy ? base.DoesNotExist : ObjectDoesNotExist
  const parentMultiple = metaOptions.proxy ? base.MultipleObjectsReturned : BaseMultipleObjectsReturned
  Defined.DoesNotExist = class extends parentDoesNotExist {}
  Object.defineProperty(Defined.DoesNotExist, 'name', { value: 'DoesNotExist' })
  Defined.MultipleObjectsReturned = class extends parentMultiple {}
  Object.defineProperty(Defined.MultipleObjectsReturned, 'name', { value: 'MultipleObjectsReturned' })
  return Defined
}

export type { SaveOptions, NullableIf }
