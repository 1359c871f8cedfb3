// Days changed by hand (`PUT /__sim/days/{userId}/{workDate}`, `setDay`): a test changes what the vendor
// holds for one user and day, then sees whether a refetch picks it up. Each vendor turns the override it
// was given into the day it now serves (rows, a task) when it is set, so the query path only looks it up.
import { parseWorkDate } from '../../platform/time/work-date.js'

/** A day override that cannot apply: the answer is HTTP 400 and nothing changes. */
export class SimulatorDayError extends TypeError {
  override name = 'SimulatorDayError'
}

/** The epoch day of a 'YYYY-MM-DD' work date, or a SimulatorDayError. */
export function dayOfWorkDate(userId: unknown, workDate: unknown): number {
  if (typeof userId !== 'string' || userId === '')
    throw new SimulatorDayError('userId must be a non-empty string')
  const day = typeof workDate === 'string' ? parseWorkDate(workDate) : null
  if (day === null) throw new SimulatorDayError('workDate must be a date as YYYY-MM-DD')
  return day
}

/** The served form of every overridden (user, day). `version` changes with every change, for answer caches. */
export class DayOverrides<T> {
  readonly #days = new Map<string, T>()
  #version = 0

  get version(): number {
    return this.#version
  }

  get size(): number {
    return this.#days.size
  }

  get(userId: string, epochDay: number): T | undefined {
    return this.#days.get(key(userId, epochDay))
  }

  set(userId: string, epochDay: number, served: T): void {
    this.#days.set(key(userId, epochDay), served)
    this.#version++
  }

  /** Restores the generated day; false when it was not overridden. */
  delete(userId: string, epochDay: number): boolean {
    const deleted = this.#days.delete(key(userId, epochDay))
    if (deleted) this.#version++
    return deleted
  }

  /** Every overridden day: its user, epoch day and served form. */
  *entries(): IterableIterator<{ userId: string; epochDay: number; served: T }> {
    for (const [dayKey, served] of this.#days) {
      const bar = dayKey.indexOf('\u001f')
      yield { userId: dayKey.slice(bar + 1), epochDay: Number(dayKey.slice(0, bar)), served }
    }
  }

  /** Restores every generated day; returns how many were overridden. */
  clear(): number {
    const count = this.#days.size
    this.#days.clear()
    if (count > 0) this.#version++
    return count
  }
}

const key = (userId: string, epochDay: number) => `${epochDay}\u001f${userId}`
