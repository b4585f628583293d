/**
 * Builds the apps once before the end-to-end tier, which starts them from
 * dist/ with plain `node`, as the image runs them: what is tested is what
 * ships. A build takes well under a second, so every run gets a fresh one.
 */
import { build } from "../build/build.js";

export default async function setup(): Promise<void> {
  await build();
}
