import { Field, invalid, type FieldOptions, type PlainBinding } from './field.ts'
import { maxLengthValidator, validateEmail, validateSlug, validateUrl, type Validator } from '../validators.ts'
import { DataError, repr } from '../errors.ts'
import type { ColumnDescription } from '../backends/backend.ts'

/** Options of CharField and its kin. */
export interface CharOptions extends FieldOptions<string> {
  maxLength?: number
}

/** Text limited to `maxLength` characters (`varchar`). */
export class CharField<T extends string | null = string> extends Field<T> {
  readonly internalType: string = 'CharField'
  readonly maxLength: number

  constructor(options: CharOptions = {}, defaultMaxLength?: number) {
    super(options as FieldOptions<T>)
    const maxLength = options.maxLength ?? defaultMaxLength
    if (maxLength === undefined || !Number.isInteger(maxLength) || maxLength <= 0) {
      throw new TypeError(`A char field needs maxLength, a positive integer (got ${repr(options.maxLength)}).`)
    }
    this.maxLength = maxLength
  }

  override get columnDescription(): ColumnDescription {
    return { internalType: 'CharField', maxLength: this.maxLength }
  }

  override toJs(value: unknown): T | null {
    if (value === null || value === undefined) return null
    if (typeof value === 'string') return value as T
    if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value) as T
    return invalid(`“${String(value)}” value must be a string.`)
  }

  override getDbPrepValue(value: unknown): unknown {
    const prepared = super.getDbPrepValue(value)
    // UTF-16 length bounds the number of characters: count code points only when it must.
    if (typeof prepared === 'string' && prepared.length > this.maxLength) {
      const length = [...prepared].length
      if (length > this.maxLength) {
        throw new DataError(
          `${this.describe()}: value too long for maxLength ${this.maxLength} ` +
          `(${length} characters): ${repr(prepared.length > 60 ? prepared.slice(0, 57) + '...' : prepared)}. ` +
          `Shorten the value or raise maxLength.`)
      }
    }
    return prepared
  }

  protected override emptyValue(): T | null {
    return (this.null ? null : '') as T | null
  }

  /** Strings no longer than maxLength in UTF-16 units (so in characters too) go as they are. */
  override plainBinding(): PlainBinding | undefined {
    return this.preparesAs(CharField) ? { type: 'string', maxLength: this.maxLength } : undefined
  }

  protected override defaultValidators(): Validator[] {
    return [maxLengthValidator(this.maxLength)]
  }
}

/** A short label of letters, numbers, underscores or hyphens (max 50 by default, indexed). */
export class SlugField<T extends string | null = string> extends CharField<T> {
  override readonly internalType = 'SlugField'
  constructor(options: CharOptions = {}) {
    super({ dbIndex: true, ...options }, 50)
  }
  protected override defaultValidators(): Validator[] {
    return [...super.defaultValidators(), validateSlug]
  }
}

/** An http(s) or ftp(s) URL (max 200 by default). */
export class URLField<T extends string | null = string> extends CharField<T> {
  override readonly internalType = 'URLField'
  constructor(options: CharOptions = {}) {
    super(options, 200)
  }
  protected override defaultValidators(): Validator[] {
    return [...super.defaultValidators(), validateUrl]
  }
}

/** An email address (max 254 by default). */
export class EmailField<T extends string | null = string> extends CharField<T> {
  override readonly internalType = 'EmailField'
  constructor(options: CharOptions = {}) {
    super(options, 254)
  }
  protected override defaultValidators(): Validator[] {
    return [...super.defaultValidators(), validateEmail]
  }
}

/** Unlimited text. */
export class TextField<T extends string | null = string> extends Field<T> {
  readonly internalType = 'TextField'
  override toJs(value: unknown): T | null {
    if (value === null || value === undefined) return null
    if (typeof value === 'string') return value as T
    if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value) as T
    return invalid(`“${String(value)}” value must be a string.`)
  }
  protected override emptyValue(): T | null {
    return (this.null ? null : '') as T | null
  }
  override plainBinding(): PlainBinding | undefined {
    return this.preparesAs(TextField) ? { type: 'string' } : undefined
  }
}
