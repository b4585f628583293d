import { ConfigError, loadSettings, processSpecs, type Cleaned, type Specs } from "./config.js";
import { stopTracing } from "./tracing.js";

/** Something `runMain` stops on SIGTERM or SIGINT. */
export interface Stoppable {
  close(): Promise<void>;
}

/**
 * Runs an app: validates its settings (apps/<app>/src/settings.ts) and
 * refuses to start on bad configuration (one message listing every
 * problem, exit code 78, nothing listening), hands the validated values to
 * `main`, and on SIGTERM or SIGINT drains what `main` started before
 * exiting 0 (after exporting the spans still buffered, when tracing is
 * on). A second signal exits at once. With RUNFRAME_STOP_WITH_PARENT
 * the end of stdin counts as SIGTERM, so children of a supervisor never
 * outlive it.
 */
export function runMain<S extends Specs>(
  settings: S,
  main: (config: Cleaned<S>) => Promise<Stoppable>,
): void {
  const start = async () => {
    const config = loadSettings(settings);
    // One of every app's settings (processSpecs), read on its own because
    // `settings` is any app's.
    const { RUNFRAME_STOP_WITH_PARENT } = loadSettings({
      RUNFRAME_STOP_WITH_PARENT: processSpecs().RUNFRAME_STOP_WITH_PARENT,
    });
    return { app: await main(config), stopWithParent: RUNFRAME_STOP_WITH_PARENT };
  };
  start().then(
    ({ app, stopWithParent }) => {
      let stopping = false;
      const stop = (signal: NodeJS.Signals) => {
        if (stopping) {
          process.exit(130);
        }
        stopping = true;
        app
          .close()
          .then(stopTracing)
          .then(
            () => process.exit(0),
            (error: unknown) => {
              process.stderr.write(`shutdown after ${signal} failed: ${String(error)}\n`);
              process.exit(1);
            },
          );
      };
      process.on("SIGTERM", stop);
      process.on("SIGINT", stop);
      if (stopWithParent) {
        // A supervisor (npm start) that dies, even by SIGKILL, closes our
        // stdin: stop then rather than linger as an orphan holding ports.
        process.stdin.resume();
        process.stdin.once("end", () => stop("SIGTERM"));
      }
    },
    (error: unknown) => {
      if (error instanceof ConfigError) {
        process.stderr.write(`${error.message}\n`);
        process.exit(78);
      }
      process.stderr.write(
        `failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
