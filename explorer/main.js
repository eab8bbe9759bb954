// The explorer page: search box and results, the graph (click a node to expand it), and the
// details panel with a link to the same query in the playground.

import * as api from "./api.js";
import { GraphView, keyLabel } from "./graph.js";

const $ = (id) => document.getElementById(id);

const form = $("search-form");
const input = $("search-input");
const resultsList = $("results");
const resultsStatus = $("results-status");
const detailsPane = $("details");
const graphStatus = $("graph-status");
const graphEmpty = $("graph-empty");
const message = $("message");

/** Larger neighborhoods asked for by "show more". */
const MORE_LIMIT = 100;

let pending = 0;
const loading = new Set();
const detailsById = new Map();
let rootId = null;

const graph = new GraphView($("graph"), { onActivate: activate });

function busy(delta) {
  pending += delta;
  document.body.dataset.busy = pending > 0 ? "true" : "false";
}

function showMessage(text) {
  message.textContent = text || "";
  message.hidden = !text;
}

function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k.startsWith("data-")) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    e.append(child instanceof Node ? child : String(child));
  }
  return e;
}

/** The text of escaped HTML (snippets escape `& < > " '`; `&amp;` last, so it stays one). */
function unescapeHtml(text) {
  return text
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&");
}

/** A snippet with `<mark>…</mark>` as DOM nodes; everything else stays text. */
function snippetNodes(snippet) {
  const out = [];
  const parts = String(snippet).split(/(<mark>|<\/mark>)/);
  let marked = false;
  for (const part of parts) {
    if (part === "<mark>") marked = true;
    else if (part === "</mark>") marked = false;
    else if (part) {
      const text = unescapeHtml(part);
      out.push(marked ? h("mark", {}, text) : document.createTextNode(text));
    }
  }
  return out;
}

function kindIcon(kind) {
  return h("span", { class: `kind-icon ${kind.toLowerCase()}`, title: kind });
}

function nameOf(node) {
  return node.title || node.name || node.id;
}

function updateGraphStatus(truncated) {
  const n = graph.size;
  const m = graph.edgeKeys.size;
  graphEmpty.hidden = n > 0;
  graphStatus.textContent =
    n === 0 ? "" : `${n} node${n === 1 ? "" : "s"} · ${m} edge${m === 1 ? "" : "s"}${truncated ? " · some hidden" : ""}`;
  graphStatus.dataset.nodes = String(n);
}

// ---- search ----

async function runSearch(text) {
  const query = text.trim();
  if (!query) return;
  showMessage("");
  resultsList.replaceChildren();
  resultsStatus.textContent = "Searching…";
  busy(1);
  try {
    const [byKey, byText] = await Promise.allSettled([api.lookup(query), api.search(query)]);
    const hits = [];
    const seen = new Set();
    if (byKey.status === "fulfilled") {
      for (const node of byKey.value) {
        if (seen.has(node.id)) continue;
        seen.add(node.id);
        hits.push({ node, exact: true });
      }
    }
    if (byText.status === "fulfilled") {
      for (const edge of byText.value.hits) {
        if (seen.has(edge.node.id)) continue;
        seen.add(edge.node.id);
        hits.push({ node: edge.node, snippet: edge.snippet, score: edge.score });
      }
    }
    const failed = [byKey, byText].filter((r) => r.status === "rejected");
    if (failed.length > 0 && hits.length === 0) {
      resultsStatus.textContent = "";
      showMessage(`Search failed: ${failed[0].reason.message}`);
      return;
    }
    // The search's total, plus exact key matches the search itself did not find.
    const textIds = new Set(byText.status === "fulfilled" ? byText.value.hits.map((e) => e.node.id) : []);
    const total =
      (byText.status === "fulfilled" ? byText.value.total : 0) +
      hits.filter((hit) => hit.exact && !textIds.has(hit.node.id)).length;
    resultsStatus.textContent =
      hits.length === 0
        ? `No matches for “${query}”.`
        : `${total} match${total === 1 ? "" : "es"}${total > hits.length ? `, best ${hits.length} shown` : ""}. Pick one to see its neighborhood.`;
    for (const hit of hits) resultsList.append(resultItem(hit));
    const url = new URL(window.location.href);
    url.searchParams.set("q", query);
    url.searchParams.delete("id");
    window.history.replaceState(null, "", url);
    // A natural key that names exactly one record goes straight to it.
    const exact = hits.filter((hit) => hit.exact);
    if (exact.length === 1) await loadRoot(exact[0].node);
  } finally {
    busy(-1);
  }
}

function resultItem(hit) {
  const { node } = hit;
  const key = keyLabel(node);
  const button = h(
    "button",
    { type: "button", class: "result", "data-id": node.id, "data-kind": node.__typename },
    h("span", { class: "result-title" }, kindIcon(node.__typename), nameOf(node)),
    h(
      "span",
      { class: "result-meta" },
      [node.__typename, key, hit.exact ? "exact match" : ""].filter(Boolean).join(" · "),
    ),
    hit.snippet ? h("span", { class: "result-snippet" }, ...snippetNodes(hit.snippet)) : null,
  );
  button.addEventListener("click", () => {
    for (const other of resultsList.querySelectorAll(".result.current")) other.classList.remove("current");
    button.classList.add("current");
    loadRoot(node);
  });
  return h("li", {}, button);
}

// ---- graph ----

/** Starts a new graph at `node` and expands it. */
async function loadRoot(node) {
  graph.clear();
  detailsById.clear();
  rootId = node.id;
  graph.addNode(node);
  updateGraphStatus(false);
  const url = new URL(window.location.href);
  url.searchParams.set("id", node.id);
  window.history.replaceState(null, "", url);
  await expand(node.id);
}

/** Fetches the neighborhood of `id` and merges it in; shows its details. */
async function expand(id, perNodeLimit = undefined) {
  if (loading.has(id)) return;
  loading.add(id);
  busy(1);
  graph.select(id);
  showMessage("");
  try {
    const { details, subgraph } = await api.expand(id, perNodeLimit);
    if (!graph.nodes.has(id)) return; // the graph was cleared meanwhile
    graph.merge(subgraph, id);
    const overflow = subgraph.hasMore.find((m) => m.id === id);
    graph.setExpanded(id, overflow ? overflow.hiddenNeighbors : 0);
    if (details) detailsById.set(id, details);
    updateGraphStatus(subgraph.truncated);
  } catch (e) {
    showMessage(`Could not expand this node: ${e.message}`);
  } finally {
    loading.delete(id);
    if (graph.selected && graph.selected.id === id) showDetails(id);
    busy(-1);
  }
}

/** A click (or Enter) on a node: select it, expand it the first time. */
function activate(id) {
  const node = graph.nodes.get(id);
  if (!node) return;
  graph.select(id);
  showDetails(id);
  if (!node.expanded) expand(id);
}

// ---- details ----

function field(dl, label, value) {
  if (value === null || value === undefined || value === "" || (Array.isArray(value) && value.length === 0)) return;
  dl.append(h("dt", {}, label), h("dd", {}, Array.isArray(value) ? value.join("; ") : value));
}

function safeLink(url, text) {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === "http:" || parsed.protocol === "https:") {
      return h("a", { href: parsed.href, target: "_blank", rel: "noopener noreferrer" }, text || parsed.href);
    }
  } catch {
    /* not a URL */
  }
  return text || url;
}

function clip(text, max) {
  if (!text) return null;
  const clean = String(text).replace(/\s+/g, " ").trim();
  return clean.length > max ? `${clean.slice(0, max - 1).trimEnd()}…` : clean;
}

function showDetails(id) {
  const node = graph.nodes.get(id);
  if (!node) return;
  const d = { ...node.data, ...(detailsById.get(id) || {}) };
  const kind = d.__typename;
  const dl = h("dl");
  if (kind === "Publication") {
    field(dl, "NCJ number", d.ncjNumber);
    if (d.doi) field(dl, "DOI", safeLink(`https://doi.org/${d.doi}`, d.doi));
    field(dl, "Published", d.publishedOn && d.publishedOn.text);
    field(dl, "Type", d.publicationType);
    field(dl, "Subtitle", d.subtitle);
    field(dl, "Authors", d.authors);
    field(dl, "Place", d.placeOfProduction);
    field(dl, "Language", d.language);
    field(dl, "Subjects", d.subjects);
    if (d.url) field(dl, "URL", safeLink(d.url));
    field(dl, "Abstract", clip(d.abstract, 600));
  } else if (kind === "Dataset") {
    field(dl, "Study number", d.studyNumber);
    if (d.doi) field(dl, "DOI", safeLink(`https://doi.org/${d.doi}`, d.doi));
    field(dl, "Released", d.releasedOn && d.releasedOn.text);
    if (d.timePeriod && (d.timePeriod.start || d.timePeriod.end)) {
      const { start, end } = d.timePeriod;
      field(dl, "Time period", start === end ? String(start) : `${start ?? "?"}–${end ?? "?"}`);
    }
    field(dl, "Series", d.series);
    field(dl, "Version", d.version);
    field(dl, "Coverage", d.geographicCoverage);
    field(dl, "Subjects", d.subjects);
    if (d.url) field(dl, "URL", safeLink(d.url));
    field(dl, "Summary", clip(d.summary, 600));
  } else {
    field(dl, "Full name", d.fullName);
    field(dl, "Abbreviation", d.abbreviation);
    field(dl, "Also known as", d.aliases);
    field(dl, "Kind", d.kind);
    field(dl, "Location", d.location);
    field(dl, "Part of", d.parent && d.parent.name);
    if (d.url) field(dl, "URL", safeLink(d.url));
  }
  field(dl, "Id", h("code", {}, d.id));

  const actions = h("div", { class: "actions" });
  const playground = h(
    "a",
    {
      id: "open-playground",
      class: "button",
      href: api.playgroundUrl(api.playgroundQuery(d)),
      target: "_blank",
      rel: "noopener",
    },
    "Open in playground",
  );
  actions.append(playground);
  if (node.expanded && node.hidden > 0) {
    const more = h("button", { type: "button", id: "show-more" }, `Show ${node.hidden} more neighbors`);
    more.addEventListener("click", () => expand(id, MORE_LIMIT));
    actions.append(more);
  }
  if (id !== rootId) {
    const root = h("button", { type: "button", id: "make-root" }, "Start from here");
    root.addEventListener("click", () => loadRoot(node.data));
    actions.append(root);
  }
  let state = "";
  if (loading.has(id)) state = "Loading neighbors…";
  else if (!node.expanded) state = "Not expanded yet: click the node to load its neighbors.";
  detailsPane.replaceChildren(
    ...[
      h(
        "p",
        { class: "details-kind" },
        kindIcon(kind),
        kind,
        d.synthetic ? h("span", { class: "tag" }, "synthetic") : null,
      ),
      h("h2", { id: "details-title" }, nameOf(d)),
      state ? h("p", { class: "muted" }, state) : null,
      dl,
      actions,
    ].filter(Boolean),
  );
  detailsPane.dataset.id = id;
}

// ---- wiring ----

form.addEventListener("submit", (e) => {
  e.preventDefault();
  runSearch(input.value);
});
$("fit").addEventListener("click", () => graph.refit());
$("clear").addEventListener("click", () => {
  graph.clear();
  rootId = null;
  detailsPane.replaceChildren(h("p", { class: "muted" }, "Click a node to see its details."));
  delete detailsPane.dataset.id;
  updateGraphStatus(false);
});

/** Opens the node `id` names (from the page URL), whatever its kind. */
async function openById(id) {
  busy(1);
  try {
    const node = await api.details(id);
    if (node) await loadRoot(node);
    else showMessage("The node in this page's address no longer exists.");
  } catch (e) {
    showMessage(`Could not open the node in this page's address: ${e.message}`);
  } finally {
    busy(-1);
  }
}

// `/explore?q=trafficking` searches at once; `&id=…` also opens that node.
const params = new URLSearchParams(window.location.search);
const startId = params.get("id");
document.body.dataset.busy = "false";
if (params.get("q")) {
  input.value = params.get("q");
  runSearch(input.value).then(() => {
    if (startId && rootId !== startId) openById(startId);
  });
} else if (startId) {
  openById(startId);
}
