/**
 * The model layer's exceptions. Names and messages follow Django's so code and habits carry over.
 */

/** Base of every error this package raises on purpose. */
export class ContentTypesError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
  }
}

/** The configuration given to `setup()` (or a model's definition) cannot work. */
export class ImproperlyConfigured extends ContentTypesError {}

/** `apps.getModel()` found no such app or model (Django's LookupError). */
export class LookupError extends ContentTypesError {}

/** `Options.getField()` found no field of that name. */
export class FieldDoesNotExist extends ContentTypesError {}

/** A query names a field or lookup that the model cannot resolve. */
export class FieldError extends ContentTypesError {}

/** `get()` matched no row. Each model has its own subclass: `Book.DoesNotExist`. */
export class ObjectDoesNotExist extends ContentTypesError {}

/** `get()` matched several rows. Each model has its own subclass. */
export class MultipleObjectsReturned extends ContentTypesError {}

/** A value that the database would refuse or mangle, caught before it is sent. */
export class DataError extends ContentTypesError {}

/** Errors raised by the database driver, wrapped so callers need not know the dialect. */
export class DatabaseError extends ContentTypesError {}
/** A constraint (unique, not null, foreign key, check) was violated. */
export class IntegrityError extends DatabaseError {}
/** The database could not be reached or the connection failed. */
export class OperationalError extends DatabaseError {}
/** The SQL referred to a table or column that does not exist, or is otherwise malformed. */
export class ProgrammingError extends DatabaseError {}

/**
 * Misuse of transactions (Django's TransactionManagementError): select_for_update outside one, or
 * a query in a transaction an error has doomed to roll back.
 */
export class TransactionManagementError extends ContentTypesError {}

/** `Model.objects.get()` and friends: per-field messages from `fullClean()`. */
export type ErrorDict = Record<string, string[]>

/**
 * Raised by `fullClean()` and validators. `messageDict` maps each field name to its messages
 * (`__all__` for errors that belong to no single field), as Django's ValidationError does.
 *
 * @example
 * try { await book.fullClean() } catch (e) {
 *   if (e instanceof ValidationError) console.log(e.messageDict) // { title: ['This field cannot be blank.'] }
 * }
 */
export class ValidationError extends ContentTypesError {
  readonly messageDict: ErrorDict
  readonly code: string | undefined

  constructor(messages: string | string[] | ErrorDict, code?: string) {
    const dict: ErrorDict =
      typeof messages === 'string' ? { __all__: [messages] }
      : Array.isArray(messages) ? { __all__: [...messages] }
      : messages
    super(ValidationError.describe(dict))
    this.messageDict = dict
    this.code = code
  }

  /** Every message, flattened. */
  get messages(): string[] {
    return Object.values(this.messageDict).flat()
  }

  private static describe(dict: ErrorDict): string {
    const parts = Object.entries(dict).map(([field, msgs]) =>
      field === '__all__' ? msgs.join(' ') : `${field}: ${msgs.join(' ')}`)
    return parts.join('; ')
  }
}

/** Python-style repr of a value, as Django's messages show it ('abc', 42, None). */
export function repr(value: unknown): string {
  if (value === null || value === undefined) return 'None'
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
  if (typeof value === 'boolean') return value ? 'True' : 'False'
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString()
  if (typeof value === 'object') {
    try { return JSON.stringify(value) } catch { return String(value) }
  }
  return String(value)
}
