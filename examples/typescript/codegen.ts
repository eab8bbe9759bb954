// GraphQL Codegen: the schema's types (`typescript`, from the checked-in ../../schema.graphql,
// the server's contract) in one file, and the result and variables types of every operation in
// src/**/*.graphql (`typescript-operations`) in another that imports them.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../../schema.graphql",
  documents: ["src/**/*.graphql"],
  generates: {
    "src/generated/schema.ts": {
      plugins: ["typescript"],
      config: {
        // Enums as string unions: types only, no runtime code.
        enumsAsTypes: true,
        scalars: { _Any: "unknown" },
      },
    },
    "src/generated/operations.ts": {
      plugins: ["typescript-operations"],
      config: {
        importSchemaTypesFrom: "./src/generated/schema.js",
        enumType: "string-literal",
        avoidOptionals: true,
      },
    },
  },
};

export default config;
