import { DataError, IntegrityError, ValidationError, repr } from '../errors.ts'
import { isEmptyValue, type Validator } from '../validators.ts'
import type { ColumnDescription } from '../backends/backend.ts'
import type { Model } from '../model.ts'

/** A list of `[value, label]` pairs, optionally grouped, or an object of value → label. */
export type Choices<T> =
  | ReadonlyArray<readonly [T, string] | readonly [string, ReadonlyArray<readonly [T, string]>]>
  | Readonly<Record<string, string>>

/** Options every field accepts (Django's Field arguments, in camelCase). */
export interface FieldOptions<T = unknown> {
  /** The column may hold NULL. */
  null?: boolean
  /** `fullClean()` accepts an empty value. */
  blank?: boolean
  /** The value of a new instance: a value, or a function called for each instance. */
  default?: T | (() => T)
  unique?: boolean
  /** Create an index on the column. */
  dbIndex?: boolean
  /** The column name, when it differs from the snake_case of the attribute. */
  dbColumn?: string
  choices?: Choices<T>
  verboseName?: string
  helpText?: string
  primaryKey?: boolean
  /** False hides the field from forms and skips it in `fullClean()`. */
  editable?: boolean
  validators?: Validator[]
  /** Custom messages keyed by code ('null', 'blank', 'invalid_choice', 'max_length'…). */
  errorMessages?: Record<string, string>
}

/** A field class's value type when its options say `null: true`. */
export type NullableIf<O, T> = O extends { null: true } ? T | null : T

/** The primary-key marker a field carries in its type when declared with `primaryKey: true`. */
export type PrimaryKeyMarker<O> = O extends { primaryKey: true } ? { readonly __primaryKey: true } : unknown

let creationCounter = 0

/** snake_case of a camelCase attribute name: `contentType` → `content_type`. */
export function toSnakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase()
}

/** Words of a camelCase name, for verbose names: `contentType` → `content type`. */
export function toWords(name: string): string {
  return toSnakeCase(name).replace(/_/g, ' ').trim()
}

/** Django's default error messages. */
const defaultMessages: Record<string, string> = {
  invalid_choice: 'Value %(value)s is not a valid choice.',
  null: 'This field cannot be null.',
  blank: 'This field cannot be blank.',
  unique: '%(model_name)s with this %(field_label)s already exists.',
}

/**
 * The base of every field: a column of a model's table (or, for private fields, an attribute
 * with no column). Subclasses convert values between JavaScript and the database.
 *
 * @example
 * class Book extends Model.define('library.Book', { title: f.char({ maxLength: 200 }) }) {}
 * Book._meta.getField('title').column // 'title'
 */
/**
 * The values a field binds for a write exactly as they are, with every check passed (see
 * `Field.plainBinding()`): strings up to a length, or safe integers within a range.
 */
export type PlainBinding =
  | { readonly type: 'string'; readonly maxLength?: number }
  | { readonly type: 'integer'; readonly min: number; readonly max: number }

export abstract class Field<TValue = unknown, TAttr = TValue, TInput = TValue> {
  /** The field's value type; a type-level marker with no runtime value. */
  declare readonly __value: TValue
  /** The type of the instance attribute named after the field. */
  declare readonly __attr: TAttr
  /** What the model's constructor accepts for the field. */
  declare readonly __input: TInput

  /** Django's internal type name, which selects the column type of each backend. */
  abstract readonly internalType: string

  /** The attribute name, set when the field joins a model. */
  name = ''
  /** The attribute that holds the stored value (`authorId` for a foreign key `author`). */
  attname = ''
  /** The column name. */
  column = ''
  /** The model the field belongs to, set when the field joins a model. */
  model!: typeof Model
  verboseName = ''

  readonly null: boolean
  readonly blank: boolean
  readonly unique: boolean
  readonly dbIndex: boolean
  readonly primaryKey: boolean
  readonly editable: boolean
  readonly helpText: string
  readonly choices: ReadonlyArray<readonly [unknown, string]> | undefined
  readonly validators: Validator[]
  readonly creationCounter: number
  protected readonly dbColumnOption: string | undefined
  protected readonly verboseNameOption: string | undefined
  protected readonly defaultOption: unknown
  protected readonly errorMessages: Record<string, string>

  /** True for fields stored in a column. */
  readonly concrete: boolean = true
  /** True for fields with no column of their own that a model holds privately (generic keys and relations). */
  readonly isPrivate: boolean = false
  /** True for fields that point at another model. */
  readonly isRelation: boolean = false
  /** True when the database generates the value (auto primary keys). */
  readonly autoCreatedValue: boolean = false

  constructor(protected readonly options: FieldOptions<TValue> = {}) {
    this.null = options.null ?? false
    this.blank = options.blank ?? false
    this.primaryKey = options.primaryKey ?? false
    this.unique = (options.unique ?? false) || this.primaryKey
    this.dbIndex = options.dbIndex ?? false
    this.editable = options.editable ?? true
    this.helpText = options.helpText ?? ''
    this.choices = options.choices === undefined ? undefined : flattenChoices(options.choices)
    this.validators = [...(options.validators ?? [])]
    this.dbColumnOption = options.dbColumn
    this.verboseNameOption = options.verboseName
    this.defaultOption = options.default
    this.errorMessages = { ...defaultMessages, ...(options.errorMessages ?? {}) }
    this.creationCounter = creationCounter++
  }

  /** Binds the field to a model under an attribute name. */
  contributeToClass(model: typeof Model, name: string): void {
    this.model = model
    this.name = name
    this.attname = this.attnameFor(name)
    this.column = this.dbColumnOption ?? this.columnFor(name)
    this.verboseName = this.verboseNameOption ?? toWords(name)
  }

  /** A fresh copy for another model (abstract parents hand copies to their children). */
  clone(): this {
    const copy = Object.create(Object.getPrototypeOf(this)) as this
    Object.assign(copy, this)
    return copy
  }

  protected attnameFor(name: string): string {
    return name
  }

  protected columnFor(name: string): string {
    return toSnakeCase(name)
  }

  /** What the schema editor needs to pick the column type. */
  get columnDescription(): ColumnDescription {
    return { internalType: this.internalType }
  }

  private dbTypeCache: string | undefined
  /** The internal type that decides how a backend stores and converts the column's values. */
  get dbType(): string {
    return (this.dbTypeCache ??= this.columnDescription.internalType)
  }

  /** The internal type used for the column of a foreign key pointing at this field. */
  relDbInternalType(): string {
    return this.internalType
  }

  hasDefault(): boolean {
    return this.defaultOption !== undefined
  }

  /** The value of a new instance. */
  getDefault(): TValue | null {
    const d = this.defaultOption
    if (d === undefined) return this.emptyValue()
    return (typeof d === 'function' ? (d as () => TValue)() : d) as TValue
  }

  /** The value of a new instance without a default: null, or '' for text fields that are not nullable. */
  protected emptyValue(): TValue | null {
    return null
  }

  /**
   * Django's `to_python`: coerces input to the field's JavaScript type, or throws a
   * ValidationError with code 'invalid'.
   */
  toJs(value: unknown): TValue | null {
    return value as TValue
  }

  /** Converts a value read from the database (after the backend's conversion). */
  fromDb(value: unknown): TValue | null {
    return value as TValue
  }

  /**
   * The value to bind for the database, checked so the write cannot silently mangle it: throws
   * an error that names the model, field and value.
   */
  getDbPrepValue(value: unknown): unknown {
    if (value === null || value === undefined) return null
    try {
      return this.toJs(value)
    } catch (error) {
      if (error instanceof ValidationError) {
        throw new DataError(`${this.describe()}: ${error.messages.join(' ')} (got ${repr(value)}).`)
      }
      throw error
    }
  }

  /**
   * The values this field writes unchanged, described so generated bulk-write code (see
   * persistence/prepare-for-save.ts) can test them inline and call `getDbPrepSave` only for the
   * others; undefined when every value takes the call. A field class that describes its values
   * gives undefined again when a subclass overrides how values are prepared.
   */
  plainBinding(): PlainBinding | undefined {
    return undefined
  }

  /** Whether this field prepares values with the given class's methods (no subclass overrides them). */
  protected preparesAs(owner: { prototype: Field<any, any, any> }): boolean {
    return this.toJs === owner.prototype.toJs && this.getDbPrepValue === owner.prototype.getDbPrepValue &&
      this.getDbPrepSave === Field.prototype.getDbPrepSave
  }

  /** Like getDbPrepValue, for saving an instance: also refuses null in a NOT NULL column. */
  getDbPrepSave(value: unknown): unknown {
    if ((value === null || value === undefined) && !this.null) {
      throw new IntegrityError(
        `${this.describe()} cannot be null. Give it a value, or declare the field with null: true.`)
    }
    return this.getDbPrepValue(value)
  }

  /** `Model.field`, for messages. */
  describe(): string {
    return `${this.model?._meta?.label ?? '?'}.${this.name}`
  }

  /** Checks null, blank and choices (Django's Field.validate). */
  validate(value: unknown, _instance: Model): void {
    if (!this.editable) return
    if (this.choices !== undefined && !isEmptyValue(value)) {
      if (!this.choices.some(([choice]) => choice === value || String(choice) === String(value))) {
        throw new ValidationError(this.message('invalid_choice', { value: repr(value) }), 'invalid_choice')
      }
    }
    if ((value === null || value === undefined) && !this.null) {
      throw new ValidationError(this.message('null'), 'null')
    }
    if (!this.blank && isEmptyValue(value)) {
      throw new ValidationError(this.message('blank'), 'blank')
    }
  }

  /** Runs the field's validators, collecting every message. */
  runValidators(value: unknown): void {
    if (isEmptyValue(value)) return
    const messages: string[] = []
    for (const validator of [...this.defaultValidators(), ...this.validators]) {
      try {
        validator(value)
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error
        const code = error.code
        messages.push(code && this.options.errorMessages?.[code] ? this.options.errorMessages[code]! : error.messages.join(' '))
      }
    }
    if (messages.length > 0) throw new ValidationError(messages)
  }

  /** Validators every instance of this field class applies (max length, ranges, formats). */
  protected defaultValidators(): Validator[] {
    return []
  }

  /** Coerce, validate and run validators; returns the cleaned value (Django's Field.clean). */
  clean(value: unknown, instance: Model): TValue | null {
    const cleaned = this.toJs(value)
    this.validate(cleaned, instance)
    this.runValidators(cleaned)
    return cleaned
  }

  /** The label for a stored value of a field with choices. */
  displayFor(value: unknown): string {
    const match = this.choices?.find(([choice]) => choice === value)
    return match ? match[1] : value === null || value === undefined ? '' : String(value)
  }

  /** A message by code, with `%(name)s` placeholders filled in. */
  message(code: string, params: Record<string, unknown> = {}): string {
    const template = this.errorMessages[code] ?? code
    return template.replace(/%\((\w+)\)[sdr]/g, (_, key: string) => String(params[key]))
  }

  toString(): string {
    return this.model ? `${this.model._meta.label}.${this.name}` : `<${this.constructor.name}>`
  }
}

function flattenChoices<T>(choices: Choices<T>): Array<readonly [unknown, string]> {
  if (!Array.isArray(choices)) return Object.entries(choices as Record<string, string>)
  const flat: Array<readonly [unknown, string]> = []
  for (const entry of choices as ReadonlyArray<readonly [unknown, unknown]>) {
    if (Array.isArray(entry[1])) flat.push(...(entry[1] as Array<readonly [unknown, string]>))
    else flat.push(entry as readonly [unknown, string])
  }
  return flat
}

/**
 * Puts an attribute on a model's instances that runs code on read (and on write): relation
 * accessors and managers.
 */
export function defineAccessor(model: typeof Model, name: string, get: (instance: Model) => unknown, set?: (instance: Model, value: unknown) => void): void {
  Object.defineProperty(model.prototype, name, {
    configurable: true,
    enumerable: false,
    get(this: Model) { return get(this) },
    ...(set ? { set(this: Model, value: unknown) { set(this, value) } } : {}),
  })
}

/** Throws the ValidationError of a value that cannot be coerced. */
export function invalid(message: string): never {
  throw new ValidationError(message, 'invalid')
}
