// The explorer in a real browser: Debian's Chromium, headless, driven by playwright-core.
// Searches "trafficking", opens the first result, expands a node and checks the graph grew;
// then follows "Open in playground" and checks the query arrived there. Saves a screenshot.
//
//   STUDYGRAPH_URL=http://127.0.0.1:8000 node tests/browser/explorer.spec.mjs
//
// Environment: STUDYGRAPH_URL (the server), CHROMIUM (default /usr/bin/chromium),
// EXPLORER_SCREENSHOT (default target/browser/explorer.png). tests/browser/run.sh starts a
// server with the demo data and runs this.

import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { chromium } from "playwright-core";

const base = (process.env.STUDYGRAPH_URL || "http://127.0.0.1:8000").replace(/\/$/, "");
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const screenshot = resolve(process.env.EXPLORER_SCREENSHOT || "target/browser/explorer.png");
const TIMEOUT = 30_000;

function step(text) {
  console.log(`- ${text}`);
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

const nodeCount = (page) => page.locator("#graph g.node").count();

/** Waits until no request is in flight and the layout has come to rest. */
async function settled(page) {
  await page.waitForFunction(
    () =>
      document.body.dataset.busy === "false" &&
      document.getElementById("graph").dataset.layout === "settled",
    null,
    { timeout: TIMEOUT },
  );
}

async function main() {
  mkdirSync(dirname(screenshot), { recursive: true });
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  const problems = [];
  let page;
  try {
    const context = await browser.newContext({ viewport: { width: 1400, height: 860 } });
    page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT);
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("console", (m) => {
      // CSP violations and failed module loads show up here.
      if (m.type() === "error") problems.push(`console error: ${m.text()}`);
    });
    page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));

    step(`open ${base}/explore (${await browser.version()})`);
    const response = await page.goto(`${base}/explore`);
    check(response.ok(), `GET /explore answered ${response.status()}`);
    const csp = response.headers()["content-security-policy"] || "";
    check(csp.includes("script-src 'self'"), `unexpected Content-Security-Policy: ${csp}`);
    await page.waitForFunction(() => document.body.dataset.busy === "false");

    step('search "trafficking"');
    await page.fill("#search-input", "trafficking");
    await page.press("#search-input", "Enter");
    const first = page.locator("#results .result").first();
    await first.waitFor();
    const results = await page.locator("#results .result").count();
    const firstTitle = (await first.locator(".result-title").innerText()).trim();
    check(/trafficking/i.test(await first.innerText()), `first result does not mention trafficking: ${firstTitle}`);
    step(`${results} results; pick the first: ${firstTitle}`);

    await first.click();
    await page.waitForFunction(() => document.querySelectorAll("#graph g.node").length > 1, null, {
      timeout: TIMEOUT,
    });
    await settled(page);
    const before = await nodeCount(page);
    const details = (await page.locator("#details-title").innerText()).trim();
    check(details === firstTitle, `details panel shows "${details}", not the picked result`);
    const kinds = await page.$$eval("#graph g.node", (els) => [...new Set(els.map((e) => e.dataset.kind))]);
    step(`graph: ${before} nodes (${kinds.join(", ")})`);

    // Expand a node not expanded yet: producers first (they always have a parent or works).
    const candidates = page.locator('#graph g.node[data-expanded="false"]');
    const producers = page.locator('#graph g.node[data-expanded="false"][data-kind="Producer"]');
    const target = (await producers.count()) > 0 ? producers.first() : candidates.first();
    check((await candidates.count()) > 0, "no node left to expand");
    const targetId = await target.getAttribute("data-id");
    const targetLabel = await target.locator("title").textContent();
    step(`click ${targetLabel}`);
    await target.click();
    await page.waitForFunction(
      (id) => document.querySelector(`#graph g.node[data-id="${id}"]`)?.dataset.expanded === "true",
      targetId,
      { timeout: TIMEOUT },
    );
    await settled(page);
    const after = await nodeCount(page);
    step(`graph: ${after} nodes after expanding`);
    check(after > before, `the graph did not grow: ${before} nodes before, ${after} after`);
    const selected = await page.locator("#details").getAttribute("data-id");
    check(selected === targetId, "the details panel does not show the clicked node");
    const edges = await page.locator("#graph g.link").count();
    check(edges >= after - 1, `only ${edges} edges for ${after} connected nodes`);

    await page.screenshot({ path: screenshot });
    console.log(`screenshot: ${screenshot}`);

    step("open in playground");
    const href = await page.locator("#open-playground").getAttribute("href");
    check(href.startsWith("/graphql#query="), `unexpected playground link ${href}`);
    const query = decodeURIComponent(href.slice("/graphql#query=".length));
    check(query.includes(`neighborhood(id: "${targetId}"`), `playground query lacks the node: ${query}`);
    // The linked query must run as it is.
    const run = await page.request.post(`${base}/graphql`, {
      data: { query },
      headers: { accept: "application/json" },
    });
    const answer = await run.json();
    check(!answer.errors, `the playground query fails: ${JSON.stringify(answer.errors)}`);
    check(answer.data.neighborhood.nodes.length > 1, "the playground query found no neighborhood");
    const playground = await context.newPage();
    playground.on("pageerror", (e) => problems.push(`playground page error: ${e.message}`));
    await playground.goto(`${base}${href}`);
    await playground.waitForFunction(
      (id) => {
        const fallback = document.getElementById("query");
        if (fallback) return fallback.value.includes(id);
        const editor = document.querySelector(".graphiql-query-editor .CodeMirror");
        return !!editor && editor.CodeMirror && editor.CodeMirror.getValue().includes(id);
      },
      targetId,
      { timeout: TIMEOUT },
    );
    step("the playground shows the query");
    await playground.close();

    check(problems.length === 0, `the browser reported problems:\n  ${problems.join("\n  ")}`);
  } catch (e) {
    if (page) {
      const failure = screenshot.replace(/(\.png)?$/, "-failure.png");
      await page.screenshot({ path: failure }).catch(() => {});
      console.log(`screenshot: ${failure}`);
    }
    if (problems.length > 0) console.error(`browser problems:\n  ${problems.join("\n  ")}`);
    throw e;
  } finally {
    await browser.close();
  }
}

try {
  await main();
  console.log("explorer: 1 passed, 0 failed");
} catch (e) {
  console.error(`FAILED: ${e.message}`);
  console.log("explorer: 0 passed, 1 failed");
  process.exitCode = 1;
}
