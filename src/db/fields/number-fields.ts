import { Field, invalid, type FieldOptions, type PlainBinding } from './field.ts'
import { decimalValidator, maxValueValidator, minValueValidator, type Validator } from '../validators.ts'
import { DataError, repr } from '../errors.ts'
import type { ColumnDescription } from '../backends/backend.ts'

/** The range of each integer type, as Django checks them. */
const integerRanges: Record<string, readonly [number | bigint, number | bigint]> = {
  SmallIntegerField: [-32768, 32767],
  IntegerField: [-2147483648, 2147483647],
  BigIntegerField: [-9223372036854775808n, 9223372036854775807n],
  PositiveSmallIntegerField: [0, 32767],
  PositiveIntegerField: [0, 2147483647],
  PositiveBigIntegerField: [0, 9223372036854775807n],
  AutoField: [-2147483648, 2147483647],
  BigAutoField: [-9223372036854775808n, 9223372036854775807n],
}

function toInteger(value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value
  if (typeof value === 'bigint' && value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)) return Number(value)
  if (typeof value === 'string' && /^\s*[-+]?\d+\s*$/.test(value)) return Number(value)
  if (typeof value === 'boolean') return value ? 1 : 0
  return invalid(`“${String(value)}” value must be an integer.`)
}

/** A 32-bit integer. */
export class IntegerField<T extends number | null = number> extends Field<T> {
  readonly internalType: string = 'IntegerField'

  override toJs(value: unknown): T | null {
    if (value === null || value === undefined) return null
    return toInteger(value) as T
  }

  override fromDb(value: unknown): T | null {
    return (value === null ? null : typeof value === 'number' ? value : Number(value)) as T | null
  }

  override getDbPrepValue(value: unknown): unknown {
    const prepared = super.getDbPrepValue(value) as number | null
    const range = integerRanges[this.internalType]
    if (prepared !== null && range && (prepared < range[0] || prepared > range[1])) {
      throw new DataError(
        `${this.describe()}: ${prepared} is out of range for ${this.internalType} ` +
        `(${range[0]} to ${range[1]}). Use a value in range or a wider field.`)
    }
    return prepared
  }

  protected override defaultValidators(): Validator[] {
    const range = integerRanges[this.internalType]
    return range ? [minValueValidator(range[0]), maxValueValidator(range[1])] : []
  }

  /** Integers within the type's range (the safe ones, for 64-bit types) go as they are. */
  override plainBinding(): PlainBinding | undefined {
    if (!this.preparesAs(IntegerField)) return undefined
    const [min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER] = integerRanges[this.internalType] ?? []
    return {
      type: 'integer',
      min: typeof min === 'number' ? min : Number.MIN_SAFE_INTEGER,
      max: typeof max === 'number' ? max : Number.MAX_SAFE_INTEGER,
    }
  }
}

/** A 16-bit integer. */
export class SmallIntegerField<T extends number | null = number> extends IntegerField<T> {
  override readonly internalType = 'SmallIntegerField'
}
/** A non-negative 32-bit integer. */
export class PositiveIntegerField<T extends number | null = number> extends IntegerField<T> {
  override readonly internalType = 'PositiveIntegerField'
  override relDbInternalType(): string { return 'IntegerField' }
}
/** A non-negative 16-bit integer. */
export class PositiveSmallIntegerField<T extends number | null = number> extends IntegerField<T> {
  override readonly internalType = 'PositiveSmallIntegerField'
  override relDbInternalType(): string { return 'SmallIntegerField' }
}

/** An auto-incrementing 32-bit primary key (the `id` added to every model without one). */
export class AutoField<T extends number | null = number> extends IntegerField<T> {
  override readonly internalType: string = 'AutoField'
  override readonly autoCreatedValue = true
  constructor(options: FieldOptions<number> = {}) {
    super({ primaryKey: true, blank: true, ...options } as FieldOptions<T>)
  }
  override relDbInternalType(): string { return 'IntegerField' }
  override validate(): void {}
}
/** An auto-incrementing 64-bit primary key; values stay JavaScript numbers. */
export class BigAutoField<T extends number | null = number> extends AutoField<T> {
  override readonly internalType = 'BigAutoField'
  override relDbInternalType(): string { return 'BigIntegerField' }
}

/** A 64-bit integer, as a JavaScript bigint so no digit is lost. */
export class BigIntegerField<T extends bigint | null = bigint> extends Field<T> {
  readonly internalType = 'BigIntegerField'

  override toJs(value: unknown): T | null {
    if (value === null || value === undefined) return null
    if (typeof value === 'bigint') return value as T
    if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value) as T
    if (typeof value === 'string' && /^\s*[-+]?\d+\s*$/.test(value)) return BigInt(value.trim()) as T
    return invalid(`“${String(value)}” value must be an integer.`)
  }

  override fromDb(value: unknown): T | null {
    return (value === null ? null : BigInt(value as string | number)) as T | null
  }

  override getDbPrepValue(value: unknown): unknown {
    const prepared = super.getDbPrepValue(value) as bigint | null
    const [min, max] = integerRanges.BigIntegerField!
    if (prepared !== null && (prepared < min || prepared > max)) {
      throw new DataError(`${this.describe()}: ${prepared} is out of range for BigIntegerField (${min} to ${max}).`)
    }
    return prepared
  }

  protected override defaultValidators(): Validator[] {
    const [min, max] = integerRanges.BigIntegerField!
    return [minValueValidator(min), maxValueValidator(max)]
  }
}

/** A double-precision float. */
export class FloatField<T extends number | null = number> extends Field<T> {
  readonly internalType = 'FloatField'
  override toJs(value: unknown): T | null {
    if (value === null || value === undefined) return null
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
    if (typeof n === 'number' && !Number.isNaN(n)) return n as T
    return invalid(`“${String(value)}” value must be a float.`)
  }
  override fromDb(value: unknown): T | null {
    return (value === null ? null : Number(value)) as T | null
  }
}

/** Options of DecimalField. */
export interface DecimalOptions extends FieldOptions<string> {
  maxDigits: number
  decimalPlaces: number
}

/**
 * A fixed-point number, held as a string (`'12.50'`) so no digit is lost. SQLite keeps 15
 * significant digits, as it does for Django.
 */
export class DecimalField<T extends string | null = string> extends Field<T> {
  readonly internalType = 'DecimalField'
  readonly maxDigits: number
  readonly decimalPlaces: number

  constructor(options: DecimalOptions) {
    super(options as FieldOptions<T>)
    if (!Number.isInteger(options?.maxDigits) || !Number.isInteger(options?.decimalPlaces) || options.decimalPlaces > options.maxDigits) {
      throw new TypeError(`A decimal field needs integer maxDigits and decimalPlaces, decimalPlaces <= maxDigits (got ${repr(options)}).`)
    }
    this.maxDigits = options.maxDigits
    this.decimalPlaces = options.decimalPlaces
  }

  override get columnDescription(): ColumnDescription {
    return { internalType: 'DecimalField', maxDigits: this.maxDigits, decimalPlaces: this.decimalPlaces }
  }

  override toJs(value: unknown): T | null {
    if (value === null || value === undefined) return null
    if (typeof value === 'number' && Number.isFinite(value)) return String(value) as T
    if (typeof value === 'bigint') return value.toString() as T
    if (typeof value === 'string' && /^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i.test(value)) {
      const text = value.trim()
      return text as T
    }
    return invalid(`“${String(value)}” value must be a decimal number.`)
  }

  override fromDb(value: unknown): T | null {
    if (value === null) return null
    return quantize(String(value), this.decimalPlaces) as T
  }

  override getDbPrepValue(value: unknown): unknown {
    const prepared = super.getDbPrepValue(value) as string | null
    if (prepared === null) return null
    try {
      decimalValidator(this.maxDigits, this.decimalPlaces)(quantize(prepared, this.decimalPlaces))
    } catch (error) {
      throw new DataError(`${this.describe()}: ${(error as Error).message} (got ${repr(value)}).`)
    }
    return quantize(prepared, this.decimalPlaces)
  }

  protected override defaultValidators(): Validator[] {
    return [decimalValidator(this.maxDigits, this.decimalPlaces)]
  }
}

/** Rounds decimal text half-even to `places` decimals, without going through a float. */
export function quantize(text: string, places: number): string {
  let value = text.trim()
  if (/e/i.test(value)) value = Number(value).toFixed(places)
  const negative = value.startsWith('-')
  value = value.replace(/^[-+]/, '')
  let [whole = '0', fraction = ''] = value.split('.')
  if (whole === '') whole = '0'
  if (fraction.length <= places) {
    fraction = fraction.padEnd(places, '0')
  } else {
    const kept = fraction.slice(0, places)
    const rest = fraction.slice(places)
    const digits = (whole + kept).split('').map(Number)
    const last = digits[digits.length - 1] ?? 0
    const roundUp = rest[0]! > '5' || (rest[0] === '5' && (/[1-9]/.test(rest.slice(1)) || last % 2 === 1))
    if (roundUp) {
      let i = digits.length - 1
      while (i >= 0) {
        if (digits[i]! < 9) { digits[i]! += 1; break }
        digits[i] = 0
        i--
      }
      if (i < 0) digits.unshift(1)
    }
    const joined = digits.join('')
    whole = joined.slice(0, joined.length - places) || '0'
    fraction = joined.slice(joined.length - places)
  }
  whole = whole.replace(/^0+(?=\d)/, '')
  const result = places > 0 ? `${whole}.${fraction}` : whole
  return negative && /[1-9]/.test(result) ? `-${result}` : result
}
