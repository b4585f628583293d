/** `npm run build`: bundles every app into dist/ (see build.ts). */
import { build } from "./build.js";

const result = await build();
process.stdout.write(`built dist/ in ${Math.round(result.ms)} ms\n`);
