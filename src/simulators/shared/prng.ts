// Simulated data must be identical for a user and day whatever window or page asked for it, so every
// choice is drawn from a generator seeded by (seed, vendor, user, day) — never from Math.random.

export type Seed = number | string
/** A generator of floats in [0, 1). */
export type Random = () => number

/** FNV-1a over UTF-16 code units, finished with murmur3's fmix32 so that close inputs spread apart. */
export function hash32(text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  hash ^= hash >>> 16
  hash = Math.imul(hash, 0x85ebca6b)
  hash ^= hash >>> 13
  hash = Math.imul(hash, 0xc2b2ae35)
  hash ^= hash >>> 16
  return hash >>> 0
}

/** mulberry32: tiny, fast, and good enough for test data. */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A generator that depends only on the parts, e.g. randomFor(seed, 'feishu', userId, day). */
export function randomFor(...parts: ReadonlyArray<string | number>): Random {
  return mulberry32(hash32(parts.join('\u001f')))
}

/** A 36-bit number that depends only on the parts; the high part of ids that must not collide. */
export function key36(...parts: ReadonlyArray<string | number>): number {
  const text = parts.join('\u001f')
  return hash32(text) * 16 + (hash32(`${text}\u001e`) & 0xf)
}

/** Inclusive integer range. */
export function intBetween(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1))
}

/** Picks a value with probability proportional to its weight. */
export function pickWeighted<T>(random: Random, choices: ReadonlyArray<readonly [T, number]>): T {
  let total = 0
  for (const [, weight] of choices) total += weight
  let point = random() * total
  for (const [value, weight] of choices) {
    point -= weight
    if (point < 0) return value
  }
  const last = choices[choices.length - 1]
  if (!last) throw new RangeError('pickWeighted needs at least one choice')
  return last[0]
}

export function pickOne<T>(random: Random, values: ReadonlyArray<T>): T {
  const value = values[Math.floor(random() * values.length)]
  if (value === undefined) throw new RangeError('pickOne needs at least one value')
  return value
}

/** Lower-case hex digits drawn from the generator. */
export function hexDigits(random: Random, length: number): string {
  let text = ''
  while (text.length < length)
    text += Math.floor(random() * 0x10000)
      .toString(16)
      .padStart(4, '0')
  return text.slice(0, length)
}
