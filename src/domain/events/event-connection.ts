// A connection mode's client (Feishu long connection, DingTalk stream): started for one source, it keeps
// its connection up on its own (reconnecting) until closed.
export interface EventConnection {
  readonly sourceId: string
  /** Whether this replica is connected to the vendor now. */
  connected(): boolean
  close(): Promise<void>
}
