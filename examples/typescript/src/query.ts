// Prints a few publications with their producers and related datasets, through a query whose
// result type GraphQL Codegen generated from the server's schema (npm run codegen).
//
//   npm run start -- [SERVER_URL]    (default $STUDYGRAPH_URL, else http://127.0.0.1:8000)
import { readFile } from "node:fs/promises";

import type {
  RecentPublicationsQuery,
  RecentPublicationsQueryVariables,
} from "./generated/operations.js";
import type { ProducerRole } from "./generated/schema.js";

/** A GraphQL error as studygraph sends it: every error has `extensions.code`. */
interface GraphQLError {
  message: string;
  extensions?: { code?: string };
}

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: GraphQLError[];
}

const server = process.argv[2] ?? process.env.STUDYGRAPH_URL ?? "http://127.0.0.1:8000";
const url = `${server.replace(/\/+$/, "")}/graphql`;

async function run<T, V>(query: string, variables: V): Promise<T> {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/graphql-response+json, application/json",
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as GraphQLResponse<T>;
  if (body.errors?.length || !body.data) {
    const errors = (body.errors ?? [])
      .map((e) => `${e.extensions?.code ?? "?"}: ${e.message}`)
      .join("\n");
    throw new Error(`${url} answered ${response.status}\n${errors}`);
  }
  return body.data;
}

/** "PRINCIPAL_INVESTIGATOR" → "principal investigator" (a schema type, from schema.ts). */
function roleText(role: ProducerRole): string {
  return role.toLowerCase().replaceAll("_", " ");
}

const document = await readFile(new URL("./publications.graphql", import.meta.url), "utf8");
const variables: RecentPublicationsQueryVariables = { first: 5, from: "2000" };
const data = await run<RecentPublicationsQuery, RecentPublicationsQueryVariables>(
  document,
  variables,
);

const { totalCount, nodes } = data.publications;
console.log(`${totalCount} publications since ${variables.from}; the ${nodes.length} latest:`);
for (const publication of nodes) {
  const when = publication.publishedOn?.text ?? "undated";
  const ncj = publication.ncjNumber ? `NCJ ${publication.ncjNumber}` : "no NCJ number";
  console.log(`\n${publication.title}\n  ${when}, ${ncj}`);
  for (const credit of publication.producers) {
    const { name, abbreviation } = credit.producer;
    console.log(`  ${roleText(credit.role)}: ${name}${abbreviation ? ` (${abbreviation})` : ""}`);
  }
  const datasets = publication.relatedDatasets;
  for (const dataset of datasets.nodes) {
    console.log(`  uses ICPSR ${dataset.studyNumber ?? "?"}: ${dataset.title}`);
  }
  if (datasets.totalCount > datasets.nodes.length) {
    console.log(`  … and ${datasets.totalCount - datasets.nodes.length} more datasets`);
  }
}
