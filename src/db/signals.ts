/** A receiver gets the sender (usually a model class) and the signal's arguments. */
export type Receiver<A> = (args: A & { sender: unknown; signal: Signal<A> }) => unknown

interface Connection<A> {
  receiver: Receiver<A>
  sender: unknown
  dispatchUid: string | undefined
}

/**
 * A signal that receivers connect to, optionally only for one sender (Django's Signal).
 * Receivers run in connection order; async receivers are awaited by `sendAsync`.
 *
 * @example
 * postSave.connect(({ instance, created }) => { if (created) audit(instance) }, { sender: Book })
 */
export class Signal<A = Record<string, unknown>> {
  private connections: Array<Connection<A>> = []

  /** Connects a receiver, for every sender or only for `sender`. Connecting twice is a no-op. */
  connect(receiver: Receiver<A>, options: { sender?: unknown; dispatchUid?: string } = {}): void {
    const exists = this.connections.some((c) =>
      options.dispatchUid !== undefined ? c.dispatchUid === options.dispatchUid : c.receiver === receiver && c.sender === options.sender)
    if (!exists) this.connections.push({ receiver, sender: options.sender, dispatchUid: options.dispatchUid })
  }

  /** Disconnects a receiver; returns whether one was connected. */
  disconnect(receiver?: Receiver<A>, options: { sender?: unknown; dispatchUid?: string } = {}): boolean {
    const before = this.connections.length
    this.connections = this.connections.filter((c) =>
      options.dispatchUid !== undefined ? c.dispatchUid !== options.dispatchUid : !(c.receiver === receiver && c.sender === options.sender))
    return this.connections.length !== before
  }

  /** Whether any receiver listens for this sender. */
  hasListeners(sender?: unknown): boolean {
    // Asked for every instance built or deleted: nothing to scan in the usual case.
    if (this.connections.length === 0) return false
    return this.connections.some((c) => c.sender === undefined || c.sender === sender)
  }

  /** Calls each matching receiver synchronously; returns [receiver, result] pairs. */
  send(sender: unknown, args: A): Array<[Receiver<A>, unknown]> {
    const results: Array<[Receiver<A>, unknown]> = []
    for (const c of [...this.connections]) {
      if (c.sender !== undefined && !matchesSender(c.sender, sender)) continue
      results.push([c.receiver, c.receiver({ ...args, sender, signal: this })])
    }
    return results
  }

  /** Calls each matching receiver in turn, awaiting each; returns [receiver, result] pairs. */
  async sendAsync(sender: unknown, args: A): Promise<Array<[Receiver<A>, unknown]>> {
    const results: Array<[Receiver<A>, unknown]> = []
    for (const c of [...this.connections]) {
      if (c.sender !== undefined && !matchesSender(c.sender, sender)) continue
      results.push([c.receiver, await c.receiver({ ...args, sender, signal: this })])
    }
    return results
  }
}

/** A receiver connected for a model also hears that model's final class (the subclass of its defined base). */
function matchesSender(wanted: unknown, sender: unknown): boolean {
  if (wanted === sender) return true
  const meta = (wanted as { _meta?: { model?: unknown } } | null)?._meta
  return meta !== undefined && meta.model === sender
}

/** Sent when an instance is built (before its values are assigned). */
export const preInit = new Signal<{ args: Record<string, unknown> }>()
/** Sent before an instance is saved. */
export const preSave = new Signal<{ instance: unknown; raw: boolean; using: string; updateFields: readonly string[] | undefined }>()
/** Sent after an instance is saved; `created` is true for an insert. */
export const postSave = new Signal<{ instance: unknown; created: boolean; raw: boolean; using: string; updateFields: readonly string[] | undefined }>()
/** Sent before each instance is deleted. */
export const preDelete = new Signal<{ instance: unknown; using: string; origin: unknown }>()
/** Sent after each instance is deleted. */
export const postDelete = new Signal<{ instance: unknown; using: string; origin: unknown }>()
/** Sent once per installed app after `migrate()` (contenttypes creates its rows here). */
export const postMigrate = new Signal<{ appConfig: unknown; using: string; verbosity: number; interactive: boolean; apps: unknown; plan: unknown }>()
/** Sent once per installed app before `migrate()`. */
export const preMigrate = new Signal<{ appConfig: unknown; using: string; verbosity: number; interactive: boolean; apps: unknown; plan: unknown }>()
