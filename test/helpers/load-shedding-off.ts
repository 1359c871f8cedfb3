// Load shedding is off in every service a test starts, unless the test is about it and sets the
// thresholds itself (test/routes/load-shedding.test.ts). The defaults shed at 1 s of event-loop delay: on
// a machine whose cores are busy with other work, a test process lags that much now and then, and an
// unrelated test got 503 ATT_OVERLOADED (issue 19). under-pressure reads 0 as "no bound".

/** The environment of a service process (src/service/server.ts) that a test starts: no load shedding. */
export const LOAD_SHEDDING_OFF_ENV = {
  MAX_EVENT_LOOP_DELAY_MS: '0',
  MAX_HEAP_USED_BYTES: '0',
} as const
