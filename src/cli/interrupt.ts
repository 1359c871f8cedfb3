// Ctrl-C while an export runs: the first SIGINT asks the command to stop cleanly (cancel the job on the
// service, remove a partial download) by aborting a signal; a second one exits at once, for when the
// service does not answer the cancel.
import { EXIT } from './exit-codes.js'

export interface Interrupt {
  readonly signal: AbortSignal
  dispose(): void
}

export function watchInterrupt(process_: NodeJS.Process = process): Interrupt {
  const controller = new AbortController()
  const onSignal = () => {
    if (controller.signal.aborted) process_.exit(EXIT.interrupted)
    controller.abort(new Error('interrupted'))
  }
  process_.on('SIGINT', onSignal)
  return {
    signal: controller.signal,
    dispose: () => {
      process_.off('SIGINT', onSignal)
    },
  }
}
