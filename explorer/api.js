// The explorer's GraphQL side: the queries it sends, how a search input is read (title words,
// NCJ number, ICPSR study number, DOI), and the playground link for a node.

const ENDPOINT = "/graphql";

/** The fields a graph node needs (label, key, kind). */
const BRIEF = `
fragment Brief on Node {
  __typename id
  ... on Publication { title ncjNumber doi publishedOn { text } synthetic }
  ... on Dataset { title studyNumber doi releasedOn { text } synthetic }
  ... on Producer { name abbreviation kind }
}`;

/** What the side panel shows. */
const DETAILS = `
fragment Details on Node {
  __typename id
  ... on Publication {
    title subtitle ncjNumber doi publicationType publishedOn { text } placeOfProduction
    language url synthetic authors subjects abstract
  }
  ... on Dataset {
    title studyNumber doi releasedOn { text } timePeriod { start end } series version url
    synthetic subjects geographicCoverage summary
  }
  ... on Producer {
    name fullName abbreviation aliases kind location url parent { id name }
  }
}`;

const SUBGRAPH = `
  truncated
  nodes { ...Brief }
  edges { from to kind relationType role }
  hasMore { id hiddenNeighbors }`;

export class ApiError extends Error {}

/** Runs one GraphQL request; resolves to `data`, rejects with the first error's message. */
export async function graphql(query, variables = {}) {
  let res;
  try {
    res = await fetch(ENDPOINT, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/graphql-response+json, application/json",
      },
      body: JSON.stringify({ query, variables }),
      credentials: "same-origin",
    });
  } catch (e) {
    throw new ApiError(`the server did not answer (${e.message})`);
  }
  let body;
  try {
    body = await res.json();
  } catch {
    throw new ApiError(`HTTP ${res.status} ${res.statusText}`);
  }
  if (body.errors && body.errors.length > 0) {
    const first = body.errors[0];
    const code = first.extensions && first.extensions.code ? ` (${first.extensions.code})` : "";
    throw new ApiError(first.message + code);
  }
  if (!res.ok || !body.data) {
    throw new ApiError(`HTTP ${res.status} ${res.statusText}`);
  }
  return body.data;
}

/**
 * What a search input names, as lookups to try besides the title search:
 * `[{field: "publication"|"dataset", arg: "ncjNumber"|"studyNumber"|"doi", value}]`.
 */
export function classify(input) {
  const text = input.trim();
  let m;
  if ((m = /^NCJ[\s#:-]*(\d+)$/i.exec(text))) {
    return [{ field: "publication", arg: "ncjNumber", value: m[1] }];
  }
  if ((m = /^ICPSR[\s#:-]*(\d+)$/i.exec(text))) {
    return [{ field: "dataset", arg: "studyNumber", value: m[1] }];
  }
  if (/^\d+$/.test(text)) {
    // Bare digits: an NCJ number or a study number, whichever exists.
    return [
      { field: "publication", arg: "ncjNumber", value: text },
      { field: "dataset", arg: "studyNumber", value: text },
    ];
  }
  if ((m = /^(?:https?:\/\/(?:dx\.)?doi\.org\/|doi:\s*)?(10\.\d{4,9}\/\S+)$/i.exec(text))) {
    return [
      { field: "publication", arg: "doi", value: m[1] },
      { field: "dataset", arg: "doi", value: m[1] },
    ];
  }
  return [];
}

/** Records whose natural key is `input` (see [`classify`]). */
export async function lookup(input) {
  const keys = classify(input);
  if (keys.length === 0) return [];
  const fields = keys
    .map((k, i) => `k${i}: ${k.field}(${k.arg}: $v${i}) { ...Brief }`)
    .join("\n  ");
  const params = keys.map((_, i) => `$v${i}: String!`).join(", ");
  const variables = Object.fromEntries(keys.map((k, i) => [`v${i}`, k.value]));
  const data = await graphql(`query Lookup(${params}) {\n  ${fields}\n}\n${BRIEF}`, variables);
  return keys.map((_, i) => data[`k${i}`]).filter(Boolean);
}

/** Ranked full-text search: `[{node, score, snippet}]`. */
export async function search(input, first = 15) {
  const data = await graphql(
    `query Search($q: String!, $first: Int) {
  search(query: $q, first: $first) { totalCount edges { score snippet node { ...Brief } } }
}
${BRIEF}`,
    { q: input, first },
  );
  return { total: data.search.totalCount, hits: data.search.edges };
}

/** A node's details and its depth-1 neighborhood, in one request. */
export async function expand(id, perNodeLimit = 25) {
  const data = await graphql(
    `query Expand($id: ID!, $perNodeLimit: Int) {
  node(id: $id) { ...Details }
  neighborhood(id: $id, depth: 1, perNodeLimit: $perNodeLimit) {${SUBGRAPH}
  }
}
${BRIEF}
${DETAILS}`,
    { id, perNodeLimit },
  );
  return { details: data.node, subgraph: data.neighborhood };
}

/** A node's details only. */
export async function details(id) {
  const data = await graphql(`query Details($id: ID!) { node(id: $id) { ...Details } }\n${DETAILS}`, {
    id,
  });
  return data.node;
}

/** A GraphQL string literal (JSON's escapes are GraphQL's). */
function literal(s) {
  return JSON.stringify(String(s));
}

/**
 * The query a person would write for `node` (by its natural key when it has one) and its
 * neighborhood, for the playground.
 */
export function playgroundQuery(node, perNodeLimit = 25) {
  let lookupField;
  let fields;
  switch (node.__typename) {
    case "Publication":
      lookupField = node.ncjNumber
        ? `publication(ncjNumber: ${literal(node.ncjNumber)})`
        : node.doi
          ? `publication(doi: ${literal(node.doi)})`
          : `publication(id: ${literal(node.id)})`;
      fields = `id ncjNumber doi title publishedOn { text } publicationType authors
    producers { role producer { name } }
    relatedDatasets(first: 10) { totalCount edges { relationType node { studyNumber title } } }`;
      break;
    case "Dataset":
      lookupField = node.studyNumber
        ? `dataset(studyNumber: ${literal(node.studyNumber)})`
        : node.doi
          ? `dataset(doi: ${literal(node.doi)})`
          : `dataset(id: ${literal(node.id)})`;
      fields = `id studyNumber doi title releasedOn { text } timePeriod { start end }
    producers { role producer { name } }
    relatedPublications(first: 10) { totalCount edges { relationType node { ncjNumber title } } }`;
      break;
    default:
      lookupField = `producer(id: ${literal(node.id)})`;
      fields = `id name fullName abbreviation kind parent { name }
    publications(first: 10) { totalCount nodes { ncjNumber title } }
    datasets(first: 10) { totalCount nodes { studyNumber title } }`;
  }
  const name = node.title || node.name || node.id;
  return `# From the studygraph explorer: ${String(name).replace(/\s+/g, " ").slice(0, 100)}
query Explorer {
  ${lookupField} {
    ${fields}
  }
  neighborhood(id: ${literal(node.id)}, depth: 1, perNodeLimit: ${perNodeLimit}) {
    truncated
    nodes {
      __typename id
      ... on Publication { ncjNumber title }
      ... on Dataset { studyNumber title }
      ... on Producer { name }
    }
    edges { from to kind relationType role }
    hasMore { id hiddenNeighbors }
  }
}
`;
}

/** The playground URL with `query` prefilled (in the fragment, so the server never runs it). */
export function playgroundUrl(query) {
  return `${ENDPOINT}#query=${encodeURIComponent(query)}`;
}
