import type { Logger } from "./logger.js";

/** A background task run on a timer; see {@link periodic}. */
export interface PeriodicTask {
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>;
}

/**
 * Runs `task` every `intervalMs`, one run at a time (a slow run delays the
 * next rather than overlapping it), logging failures as warnings under
 * `name`: housekeeping that must not take the process down. The timer
 * does not keep the process alive.
 */
export function periodic(
  logger: Logger,
  name: string,
  intervalMs: number,
  task: () => Promise<unknown>,
): PeriodicTask {
  let running: Promise<void> | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    if (!stopped) {
      timer = setTimeout(run, intervalMs);
      timer.unref();
    }
  };
  const run = () => {
    running = task()
      .then(
        () => undefined,
        (error: unknown) => logger.warn({ err: error, task: name }, `${name} failed`),
      )
      .finally(() => {
        running = undefined;
        schedule();
      });
  };
  schedule();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
