// Lint rules that keep the architecture honest:
// - @nx/enforce-module-boundaries turns the layering in docs/style.md into errors:
//   pure libraries import no drivers, normalizers see only contracts, util
//   and the normalizer kit (tagged `normalizer:kit`; one provider never
//   imports another), and apps never import other apps (services talk
//   through clients). The provider registry (`type:registry`,
//   libs/providers) is a table of plain data over the contracts that every
//   layer but the normalizers may read; normalizers stay unaware of
//   deployment (apps, ports, settings).
// - no-floating-promises: a forgotten await loses an error or a write.
// - process.env is read by libs/platform/src/config.ts alone.
import js from "@eslint/js";
import nx from "@nx/eslint-plugin";
import prettier from "eslint-config-prettier";
import tseslint from "typescript-eslint";

const drivers = ["mongodb", "ioredis", "better-sqlite3"];
const runtime = [
  ...drivers,
  "@connectrpc/connect-node",
  "node:http",
  "node:http2",
  "node:net",
  "node:fs",
  "node:fs/promises",
  "node:child_process",
  "pino",
  "prom-client",
];

export default tseslint.config(
  {
    ignores: ["**/node_modules", "**/dist", "**/data", "libs/contracts/src/gen/**", ".nx/**"],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: ["*.mjs"],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { "@nx": nx },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      // Synchronous implementations of async interfaces (the SQLite stores)
      // are correct as they are; wrapping them only to satisfy this adds noise.
      "@typescript-eslint/require-await": "off",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
      "@nx/enforce-module-boundaries": [
        "error",
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: "type:app", notDependOnLibsWithTags: ["type:app"] },
            {
              sourceTag: "type:contracts",
              onlyDependOnLibsWithTags: [],
              bannedExternalImports: runtime,
            },
            {
              sourceTag: "type:registry",
              onlyDependOnLibsWithTags: ["type:contracts"],
              bannedExternalImports: [...runtime, "@connectrpc/*"],
            },
            {
              sourceTag: "type:util",
              onlyDependOnLibsWithTags: ["type:contracts", "type:registry"],
              bannedExternalImports: runtime,
            },
            {
              sourceTag: "type:normalizer",
              onlyDependOnLibsWithTags: ["type:contracts", "type:util", "normalizer:kit"],
              bannedExternalImports: [...runtime, "@connectrpc/*"],
            },
            {
              sourceTag: "type:domain",
              onlyDependOnLibsWithTags: [
                "type:contracts",
                "type:registry",
                "type:util",
                "type:domain",
              ],
              bannedExternalImports: runtime,
            },
            {
              sourceTag: "type:platform",
              onlyDependOnLibsWithTags: ["type:contracts", "type:registry", "type:util"],
              bannedExternalImports: drivers,
            },
            {
              sourceTag: "type:data-access",
              onlyDependOnLibsWithTags: [
                "type:contracts",
                "type:registry",
                "type:util",
                "type:platform",
                "type:domain",
                "type:data-access",
              ],
            },
          ],
        },
      ],
    },
  },
  {
    // An app's settings are declared in apps/<app>/src/settings.ts and read
    // once, by runMain through libs/platform/src/config.ts: the one reader
    // of the environment. Tests, test helpers and tools (npm start, the
    // image's health check) are not apps.
    files: ["apps/**/*.ts", "libs/**/*.ts"],
    ignores: ["**/*.test.ts", "libs/platform/src/testing/**", "libs/platform/src/config.ts"],
    rules: {
      "no-restricted-properties": [
        "error",
        {
          object: "process",
          property: "env",
          message: "declare a setting in the app's settings.ts; config.ts alone reads process.env",
        },
      ],
    },
  },
  {
    files: ["**/*.test.ts", "**/*.contract.ts", "tools/**/*.ts"],
    rules: {
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
    },
  },
  {
    files: ["**/*.mjs"],
    ...tseslint.configs.disableTypeChecked,
  },
  prettier,
);
