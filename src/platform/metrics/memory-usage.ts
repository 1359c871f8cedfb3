// process.memoryUsage() reads /proc/self/stat, which takes a file descriptor: with every descriptor in use
// it throws EMFILE. @fastify/under-pressure calls it from a timer, where a throw is an uncaught exception
// that closes the replica, and the timer is not rearmed. So, once per process, a failure for want of
// descriptors answers with V8's own heap figures (no file needed) and the last resident size read; the
// next call that gets a descriptor reads it again.
import { getHeapStatistics } from 'node:v8'

const GUARDED = Symbol.for('attendance.memoryUsageWithoutDescriptors')
const OUT_OF_DESCRIPTORS = new Set(['EMFILE', 'ENFILE'])

type MemoryUsageFn = typeof process.memoryUsage & { [GUARDED]?: true }

export function guardMemoryUsage(): void {
  const read = process.memoryUsage as MemoryUsageFn
  if (read[GUARDED]) return
  let last: NodeJS.MemoryUsage | undefined
  const outOfDescriptors = (error: unknown) =>
    OUT_OF_DESCRIPTORS.has((error as NodeJS.ErrnoException | undefined)?.code ?? '')
  const memoryUsage = (): NodeJS.MemoryUsage => {
    try {
      last = read.call(process)
      return last
    } catch (error) {
      if (!outOfDescriptors(error)) throw error
      const heap = getHeapStatistics()
      return {
        rss: last?.rss ?? heap.total_physical_size,
        heapTotal: heap.total_heap_size,
        heapUsed: heap.used_heap_size,
        external: heap.external_memory,
        arrayBuffers: last?.arrayBuffers ?? 0,
      }
    }
  }
  const rss = (): number => {
    try {
      return read.rss.call(process)
    } catch (error) {
      if (!outOfDescriptors(error)) throw error
      return last?.rss ?? getHeapStatistics().total_physical_size
    }
  }
  process.memoryUsage = Object.assign(memoryUsage, { rss, [GUARDED]: true as const })
}
