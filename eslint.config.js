import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

export default tseslint.config(
  { ignores: ["node_modules/**", "auditfeed-demo/**", ".tmp/**", "bench/.work/**", "bench/results/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: { projectService: { allowDefaultProject: ["*.js", "bin/*.js"] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-console": "error",
      // The core rule skips async generators, which may yield without awaiting; the typed variant does not.
      "@typescript-eslint/require-await": "off",
      "require-await": "error",
    },
  },
  {
    files: ["test/**", "bench/**"],
    rules: { "no-console": "off", "@typescript-eslint/no-floating-promises": "off" },
  },
);
