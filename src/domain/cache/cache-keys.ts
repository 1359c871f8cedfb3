// Cache keys. Every key names the tenant (vendor, base URL, app id — never the secret, through a hash of
// them) and the schema version, so a reconfigured source or a release that changes the entry's shape never
// reads another tenant's or an older shape's entries. The tenant part is a Redis hash tag ({…}): every key
// of one source lands in one slot, so multi-key scripts never cross slots on a cluster.
import { createHash } from 'node:crypto'

/** Bump when the shape of a cached DayResult or of an entry changes. */
export const CACHE_SCHEMA_VERSION = 1

export function tenantTag(vendor: string, baseUrl: string, appIdentity: string): string {
  return createHash('sha256').update(`${vendor}\n${baseUrl}\n${appIdentity}`).digest('hex').slice(0, 16)
}

export function entryKey(tag: string, overtime: boolean, userId: string, workDate: string): string {
  return `day:v${CACHE_SCHEMA_VERSION}:{${tag}}:${overtime ? 'ot' : 'no'}:${userId}:${workDate}`
}

/** The content hash of a day's last fetch (change detection), beside its entry in the same slot. */
export function hashKey(tag: string, overtime: boolean, userId: string, workDate: string): string {
  return `dayhash:v${CACHE_SCHEMA_VERSION}:{${tag}}:${overtime ? 'ot' : 'no'}:${userId}:${workDate}`
}

/** The days whose checks carry an approval id (DingTalk approval events name no day). */
export function approvalKey(tag: string, approvalId: string): string {
  return `approval:v${CACHE_SCHEMA_VERSION}:{${tag}}:${approvalId}`
}

export function leaseKey(tag: string, blockId: string): string {
  return `fetching:v${CACHE_SCHEMA_VERSION}:{${tag}}:${blockId}`
}
