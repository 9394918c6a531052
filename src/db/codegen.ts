/**
 * Per-model code generation for the hot loops (building instances, reading rows, writing rows).
 *
 * A loop over fields that reads and stores attributes by computed names makes every access a
 * megamorphic lookup, and its calls into the fields polymorphic; generated code has one plain
 * access and one call site per field, which V8 optimizes early and well. Names enter generated
 * code only through `literal()` (JSON string literals), never as code.
 */

let generationAllowed = true

/**
 * Turns code generation off (or back on) for what is compiled from now on: the plain loops are
 * used instead, as on runtimes that forbid code from strings. For testing that both agree.
 */
export function setCodeGeneration(on: boolean): void {
  generationAllowed = on
}

/** A name as a JavaScript string literal for generated code. */
export function literal(name: string): string {
  return JSON.stringify(String(name))
}

/**
 * Compiles a generated function body taking `params`; where the runtime forbids code from
 * strings (`--disallow-code-generation-from-strings`), returns `fallback()` instead, which must
 * do the same work in a plain loop.
 */
export function compileOr<T>(params: readonly string[], body: string, fallback: () => T): T {
  if (!generationAllowed) return fallback()
  try {
    return new Function(...params, body) as T
  } catch (error) {
    if (error instanceof EvalError) return fallback()
    throw error
  }
}
