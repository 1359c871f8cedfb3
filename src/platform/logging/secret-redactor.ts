// Defence in depth for "secrets never appear in logs or answers": besides pino's path-based redaction,
// every configured secret and every vendor token the service holds is registered here, and any string
// that contains one is rewritten before it leaves the process (log line or error message).
const MAX_TRACKED = 2000
const REDACTED = '[REDACTED]'
const CREDENTIAL_PARAMETER = /\b([\w.-]*(?:token|secret|key|password)[\w.-]*)=[^&\s"']*/gi

export class SecretRedactor {
  private readonly secrets = new Set<string>()

  /** Registers a value that must never be printed. Very short values are ignored (they would mangle text). */
  add(secret: string | undefined): void {
    if (!secret || secret.length < 6 || this.secrets.has(secret)) return
    if (this.secrets.size >= MAX_TRACKED) {
      const oldest = this.secrets.values().next().value
      if (oldest !== undefined) this.secrets.delete(oldest)
    }
    this.secrets.add(secret)
  }

  scrubText(text: string): string {
    let result = text
    for (const secret of this.secrets) {
      if (result.includes(secret)) result = result.split(secret).join(REDACTED)
    }
    // Any query parameter whose name says it carries a credential (access_token, appsecret, api_key, …),
    // including one a caller put in a URL by mistake.
    return result.replace(CREDENTIAL_PARAMETER, `$1=${REDACTED}`)
  }

  /**
   * Returns a copy of `value` with every secret-bearing string scrubbed. Only plain data is walked: class
   * instances (a request, a socket) are left to their pino serializers, errors become {type, message, stack}.
   */
  scrub<T>(value: T, depth = 0): T {
    if (typeof value === 'string') return this.scrubText(value) as T
    if (value === null || typeof value !== 'object' || depth > 6) return value
    if (value instanceof Error) {
      const { name: type, message, stack } = value
      return this.scrub({ type, message, stack }, depth + 1) as T
    }
    if (Array.isArray(value)) return value.map((item) => this.scrub(item, depth + 1)) as T
    const prototype = Object.getPrototypeOf(value)
    if (prototype !== Object.prototype && prototype !== null) return value
    const copy: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) copy[key] = this.scrub(item, depth + 1)
    return copy as T
  }
}
