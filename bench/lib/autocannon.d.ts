// The part of autocannon's programmatic API the benchmarks use (the package ships no types).
declare module 'autocannon' {
  export interface Histogram {
    average: number
    total: number
    p50: number
    p99: number
  }
  export interface Options {
    url: string
    method?: 'GET' | 'POST'
    headers?: Record<string, string>
    body?: string
    connections?: number
    duration?: number
    pipelining?: number
  }
  export interface Result {
    requests: Histogram
    latency: Histogram
    /** Bytes a second read, headers included. */
    throughput: Histogram
    duration: number
    errors: number
    timeouts: number
    non2xx: number
  }
  export default function autocannon(options: Options): Promise<Result>
}
