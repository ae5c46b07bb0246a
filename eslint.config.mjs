// Lint and format in one pass, the way the Effect repositories do it: ESLint with typescript-eslint
// for correctness, and @effect/eslint-plugin's `@effect/dprint` rule for formatting, so
// `eslint . --fix` is also the formatter. dprint also sorts import declarations and named imports,
// which is why there is no separate import-sorting plugin (Effect turns simple-import-sort off too).
import * as effectEslint from "@effect/eslint-plugin"
import js from "@eslint/js"
import sortDestructureKeys from "eslint-plugin-sort-destructure-keys"
import { defineConfig } from "eslint/config"
import globals from "globals"
import tseslint from "typescript-eslint"

// The service reads the environment only through its config layer and the time only through
// Effect's Clock: that is what lets tests swap the environment and drive time with TestClock.
const processEnv = {
  object: "process",
  property: "env",
  message: "Read settings through the config layer (Effect Config), not process.env."
}
const dateNow = {
  object: "Date",
  property: "now",
  message: "Read the time through Effect's Clock (TestClock in tests), not Date.now()."
}
const newDateWithoutArguments = {
  selector: "NewExpression[callee.name='Date'][arguments.length=0]",
  message: "new Date() reads the wall clock: take the time from Effect's Clock and pass it in."
}
// The first use of ICU's locale data (toLocaleString, Intl, localeCompare) maps about 7 MiB of it
// into the process for good (measured on Node 20 and 24): too much for a sidecar's log line.
const localeData = {
  selector:
    "MemberExpression[property.name=/^(toLocaleString|toLocaleDateString|toLocaleTimeString|localeCompare)$/], Identifier[name='Intl']",
  message: "ICU's locale data costs ~7 MiB of resident memory once touched: format by hand."
}
// Effect's own rule: spreading into push passes every element as an argument and overflows the
// stack on large arrays. Applied to src/** only, where array sizes follow the input.
const pushSpread = {
  selector: "CallExpression[callee.property.name='push'] > SpreadElement.arguments",
  message: "Do not use spread arguments in Array.push"
}
const processEnvImports = ["process", "node:process"].map((name) => ({
  name,
  importNames: ["env"],
  message: "Read settings through the config layer (Effect Config), not process.env."
}))

export default defineConfig(
  {
    ignores: ["**/node_modules", "dist", ".cache", ".scratch", "coverage", "bench/results"]
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  effectEslint.configs.dprint,
  {
    files: ["**/*.{ts,mts,cts,js,mjs,cjs}"],
    plugins: {
      "sort-destructure-keys": sortDestructureKeys
    },
    languageOptions: {
      ecmaVersion: "latest",
      sourceType: "module",
      // For the few .mjs scripts: TypeScript checks names in .ts files, ESLint's no-undef in these.
      globals: globals.node
    },
    linterOptions: {
      reportUnusedDisableDirectives: "error"
    },
    rules: {
      "@effect/dprint": ["error", {
        config: {
          indentWidth: 2,
          lineWidth: 120,
          semiColons: "asi",
          quoteStyle: "alwaysDouble",
          trailingCommas: "never",
          operatorPosition: "maintain",
          "arrowFunction.useParentheses": "force"
        }
      }],

      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", {
        argsIgnorePattern: "^_",
        varsIgnorePattern: "^_",
        caughtErrorsIgnorePattern: "^_",
        destructuredArrayIgnorePattern: "^_"
      }],
      // tsc's verbatimModuleSyntax already demands `type` on type-only imports; this rule adds the fix.
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      // With verbatimModuleSyntax, `import { type A } from "m"` still loads "m" at run time.
      "@typescript-eslint/no-import-type-side-effects": "error",
      "@typescript-eslint/array-type": ["error", { default: "generic", readonly: "generic" }],
      "no-duplicate-imports": ["error", { allowSeparateTypeImports: true }],
      "object-shorthand": "error",
      "sort-destructure-keys/sort-destructure-keys": "error",
      // Effect.gen bodies without a yield are fine (Effect's config turns this off as well).
      "require-yield": "off",

      "no-restricted-properties": ["error", processEnv, dateNow],
      "no-restricted-syntax": ["error", newDateWithoutArguments],
      "no-restricted-imports": ["error", { paths: processEnvImports }]
    }
  },
  {
    // The service logs through Effect's Logger (JSON, levels, spans); a stray console line
    // bypasses all of that. Tests and benches may print.
    files: ["src/**"],
    rules: {
      "no-console": "error",
      "no-restricted-syntax": ["error", newDateWithoutArguments, pushSpread, localeData]
    }
  },
  {
    // Command-line tools print their result for the person who ran them.
    files: ["src/tools/**"],
    rules: {
      "no-console": "off"
    }
  },
  {
    // The config layer is where the environment is read.
    files: ["src/config/**"],
    rules: {
      "no-restricted-properties": ["error", dateNow],
      "no-restricted-imports": "off"
    }
  },
  // src/simulator/** and src/demo/** get no exception: they already read the time through Clock
  // and their settings through flags or Effect's ConfigProvider, so TestClock drives them too.
  {
    // Tests start child processes (which need PATH) and detect CI; the service under test still
    // gets its settings through its config layer. Time stays on TestClock here.
    files: ["test/**"],
    rules: {
      "no-restricted-properties": ["error", dateNow],
      "no-restricted-imports": "off"
    }
  },
  {
    // These suites drive the real service as a child process: TestClock cannot reach another
    // process, so deadlines and recovery times are measured on the wall clock. (test/integration
    // runs in-process and keeps the rule.)
    files: ["test/reliability/**", "test/process/**"],
    rules: {
      "no-restricted-properties": "off",
      "no-restricted-syntax": "off"
    }
  },
  {
    // Benchmarks measure real elapsed time and take their knobs from environment variables;
    // they sit outside the service and are never shipped.
    files: ["bench/**"],
    rules: {
      "no-restricted-properties": "off",
      "no-restricted-syntax": "off",
      "no-restricted-imports": "off"
    }
  }
)
