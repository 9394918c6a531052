import { describe, expect, it } from 'vitest'
import { matchKey } from '../../src/db/index.ts'

// matchKey must put two keys together exactly when their text does (how keys compared before it).
function keyString(key: unknown): string {
  return typeof key === 'string' ? key : key === null || key === undefined ? '\0null' : String(key)
}
const samples: unknown[] = [
  0, -0, 5, '5', 5n, -7, '-7', '-0', '05', 5.5, '5.5', 2 ** 53 - 1, String(2 ** 53 - 1), 2 ** 60, '1152921504606846976',
  2n ** 60n, 'abc', '', 'a1b2', '3f2504e0-4f89-11d3-9a0c-0305e82c3301', null, undefined, true, 'true',
]

describe('matchKey', () => {
  it('makes two keys equal exactly when their text is equal', () => {
    for (const a of samples) {
      for (const b of samples) {
        const sameText = keyString(a) === keyString(b) && (a === null || a === undefined) === (b === null || b === undefined)
        expect(Object.is(matchKey(a), matchKey(b)) || (matchKey(a) === matchKey(b)), `${String(a)} / ${String(b)}`).toBe(sameText)
      }
    }
  })

  it('keeps integers as numbers (no string per key)', () => {
    expect(matchKey(42)).toBe(42)
    expect(matchKey('42')).toBe(42)
    expect(matchKey(42n)).toBe(42)
    expect(matchKey('x42')).toBe('x42')
  })
})
