// The explorer's graph: the nodes and edges seen so far, a small force layout, and their SVG
// drawing with pan, zoom, drag and click. No library: a few hundred nodes at most.

const SVG = "http://www.w3.org/2000/svg";

/** How each kind of node is drawn (colours are in explorer.css, by class). */
export const KINDS = {
  Publication: { className: "publication", radius: 13 },
  Dataset: { className: "dataset", radius: 13 },
  Producer: { className: "producer", radius: 15 },
};

const LINK_LENGTH = 80;
const REPULSION = 520;
const GRAVITY = 0.035;
const VELOCITY_KEEP = 0.6;
const ALPHA_DECAY = 0.965;
const ALPHA_MIN = 0.004;
const MIN_SCALE = 0.15;
const MAX_SCALE = 2.5;

function el(name, attrs = {}, parent = null) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (parent) parent.appendChild(e);
  return e;
}

/** A node's short label under its shape. */
export function shortLabel(data) {
  const text = data.__typename === "Producer" ? data.abbreviation || data.name : data.title;
  const clean = String(text || data.id).replace(/^\[Synthetic\]\s*/, "").replace(/\s+/g, " ");
  return clean.length > 30 ? `${clean.slice(0, 28).trimEnd()}…` : clean;
}

/** A node's natural key as people write it ("NCJ 216547", "ICPSR 20423"), if any. */
export function keyLabel(data) {
  if (data.__typename === "Publication" && data.ncjNumber) return `NCJ ${data.ncjNumber}`;
  if (data.__typename === "Dataset" && data.studyNumber) return `ICPSR ${data.studyNumber}`;
  if (data.doi) return `doi:${data.doi}`;
  return "";
}

/** One edge's words for people: "references", "funder", "subunit of". */
export function edgeLabel(edge) {
  const word = edge.kind === "SUBUNIT_OF" ? "SUBUNIT_OF" : edge.relationType || edge.role || edge.kind;
  return String(word).toLowerCase().replace(/_/g, " ");
}

export class GraphView {
  /**
   * @param {SVGSVGElement} svg
   * @param {{onActivate: (id: string) => void}} handlers
   */
  constructor(svg, handlers) {
    this.svg = svg;
    this.handlers = handlers;
    this.nodes = new Map(); // id -> node
    this.links = new Map(); // "a|b" (sorted ids) -> link
    this.edgeKeys = new Set(); // every GraphEdge seen once
    this.selected = null;
    this.view = { k: 1, x: 0, y: 0 };
    this.userMoved = false;
    this.alpha = 0;
    this.frame = 0;

    const defs = el("defs", {}, svg);
    const marker = el(
      "marker",
      {
        id: "arrow",
        viewBox: "0 0 10 10",
        refX: 9,
        refY: 5,
        markerWidth: 7,
        markerHeight: 7,
        orient: "auto-start-reverse",
      },
      defs,
    );
    el("path", { d: "M0,0 L10,5 L0,10 z", class: "arrow-head" }, marker);
    this.viewport = el("g", { class: "viewport" }, svg);
    this.linkLayer = el("g", { class: "links" }, this.viewport);
    this.nodeLayer = el("g", { class: "nodes" }, this.viewport);
    this.svg.dataset.layout = "settled";

    this.bindPointer();
    new ResizeObserver(() => {
      if (!this.userMoved) this.fit();
    }).observe(svg);
  }

  get size() {
    return this.nodes.size;
  }

  clear() {
    this.nodes.clear();
    this.links.clear();
    this.edgeKeys.clear();
    this.linkLayer.replaceChildren();
    this.nodeLayer.replaceChildren();
    this.selected = null;
    this.userMoved = false;
    this.view = { k: 1, x: 0, y: 0 };
    this.applyView();
  }

  /** Adds `data` (a node from the API) if new, near `near` (a node) when given; returns it. */
  addNode(data, near = null) {
    let node = this.nodes.get(data.id);
    if (node) {
      Object.assign(node.data, data);
      this.drawLabel(node);
      return node;
    }
    const angle = Math.random() * 2 * Math.PI;
    const dist = near ? 50 + Math.random() * 40 : 0;
    node = {
      id: data.id,
      data: { ...data },
      kind: KINDS[data.__typename] || KINDS.Producer,
      x: (near ? near.x : 0) + Math.cos(angle) * dist,
      y: (near ? near.y : 0) + Math.sin(angle) * dist,
      vx: 0,
      vy: 0,
      fx: null,
      fy: null,
      expanded: false,
      hidden: 0,
      degree: 0,
    };
    this.nodes.set(node.id, node);
    this.drawNode(node);
    return node;
  }

  /**
   * Merges a `Subgraph` reached from `anchorId`: new nodes start near it. Returns how many
   * nodes were new.
   */
  merge(subgraph, anchorId) {
    const anchor = this.nodes.get(anchorId) || null;
    let added = 0;
    for (const data of subgraph.nodes) {
      const isNew = !this.nodes.has(data.id);
      this.addNode(data, data.id === anchorId ? null : anchor);
      if (isNew) added += 1;
    }
    for (const edge of subgraph.edges) this.addEdge(edge);
    this.heat(added > 0 ? 1 : 0.3);
    return added;
  }

  addEdge(edge) {
    const detail = edge.relationType || edge.role || "";
    const edgeKey = `${edge.from}|${edge.to}|${edge.kind}|${detail}`;
    if (this.edgeKeys.has(edgeKey)) return;
    const from = this.nodes.get(edge.from);
    const to = this.nodes.get(edge.to);
    if (!from || !to) return;
    this.edgeKeys.add(edgeKey);
    const pair = [edge.from, edge.to].sort().join("|");
    let link = this.links.get(pair);
    if (!link) {
      link = { source: from, target: to, labels: [] };
      from.degree += 1;
      to.degree += 1;
      const g = el("g", { class: "link" }, this.linkLayer);
      link.title = el("title", {}, g);
      link.hit = el("line", { class: "hit" }, g);
      link.line = el("line", { class: "line", "marker-end": "url(#arrow)" }, g);
      link.text = el("text", { class: "edge-label", "text-anchor": "middle", dy: "-4" }, g);
      link.el = g;
      this.links.set(pair, link);
    }
    link.labels.push(edgeLabel(edge));
    const words = [...new Set(link.labels)].join(", ");
    link.text.textContent = words;
    link.title.textContent = `${shortLabel(from.data)} → ${shortLabel(to.data)}: ${words}`;
    link.el.dataset.kind = edge.kind;
  }

  /** Marks `id` as expanded, with `hidden` neighbors the server left out. */
  setExpanded(id, hidden) {
    const node = this.nodes.get(id);
    if (!node) return;
    node.expanded = true;
    node.hidden = hidden;
    node.el.dataset.expanded = "true";
    node.el.classList.add("expanded");
    this.drawBadge(node);
  }

  select(id) {
    if (this.selected) this.selected.el.classList.remove("selected");
    this.selected = this.nodes.get(id) || null;
    if (this.selected) this.selected.el.classList.add("selected");
  }

  drawNode(node) {
    const g = el("g", {
      class: `node ${node.kind.className}`,
      tabindex: 0,
      role: "button",
      "data-id": node.id,
      "data-kind": node.data.__typename,
      "data-expanded": "false",
    });
    node.el = g;
    node.titleEl = el("title", {}, g);
    const r = node.kind.radius;
    if (node.data.__typename === "Dataset") {
      el("rect", { class: "shape", x: -r, y: -r, width: 2 * r, height: 2 * r, rx: 3 }, g);
    } else if (node.data.__typename === "Producer") {
      el("polygon", { class: "shape", points: `0,${-r} ${r},0 0,${r} ${-r},0` }, g);
    } else {
      el("circle", { class: "shape", r }, g);
    }
    node.labelEl = el("text", { class: "label", "text-anchor": "middle", y: r + 14 }, g);
    node.badgeEl = el("g", { class: "badge empty", transform: `translate(${r - 2},${-r - 4})` }, g);
    node.badgeRect = el("rect", { x: 0, y: -11, height: 15, rx: 7.5 }, node.badgeEl);
    node.badgeText = el("text", { x: 6, y: 0 }, node.badgeEl);
    g.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        this.handlers.onActivate(node.id);
      }
    });
    this.drawLabel(node);
    this.nodeLayer.appendChild(g);
    this.place(node);
  }

  drawLabel(node) {
    const key = keyLabel(node.data);
    const name = node.data.title || node.data.name || node.id;
    node.labelEl.textContent = shortLabel(node.data);
    node.titleEl.textContent = `${node.data.__typename}: ${name}${key ? ` (${key})` : ""}`;
    node.el.setAttribute("aria-label", node.titleEl.textContent);
  }

  drawBadge(node) {
    if (node.hidden > 0) {
      node.badgeText.textContent = `+${node.hidden} more`;
      let width = 6.4 * node.badgeText.textContent.length;
      try {
        width = node.badgeText.getComputedTextLength() || width;
      } catch {
        /* not rendered yet: keep the estimate */
      }
      node.badgeRect.setAttribute("width", String(Math.ceil(width) + 12));
      node.badgeEl.classList.remove("empty");
      node.el.dataset.hidden = String(node.hidden);
    } else {
      node.badgeEl.classList.add("empty");
      delete node.el.dataset.hidden;
    }
  }

  place(node) {
    node.el.setAttribute("transform", `translate(${node.x.toFixed(1)},${node.y.toFixed(1)})`);
  }

  // ---- layout ----

  heat(alpha) {
    this.alpha = Math.max(this.alpha, alpha);
    this.svg.dataset.layout = "running";
    if (!this.frame) this.frame = requestAnimationFrame(() => this.tick());
  }

  tick() {
    this.frame = 0;
    // A few simulation steps per frame keep it quick without a visible jump.
    for (let i = 0; i < 3 && this.alpha >= ALPHA_MIN; i += 1) this.step();
    this.render();
    if (this.alpha >= ALPHA_MIN) {
      this.frame = requestAnimationFrame(() => this.tick());
    } else {
      this.alpha = 0;
      if (!this.userMoved) this.fit();
      this.svg.dataset.layout = "settled";
    }
  }

  step() {
    const alpha = this.alpha;
    const list = [...this.nodes.values()];
    // Repulsion between every pair (n is small).
    for (let i = 0; i < list.length; i += 1) {
      const a = list[i];
      for (let j = i + 1; j < list.length; j += 1) {
        const b = list[j];
        let dx = b.x - a.x;
        let dy = b.y - a.y;
        let d2 = dx * dx + dy * dy;
        if (d2 < 1) {
          dx = Math.random() - 0.5;
          dy = Math.random() - 0.5;
          d2 = 1;
        }
        if (d2 > 250000) continue; // beyond 500 px: negligible
        const f = (REPULSION * alpha) / d2;
        a.vx -= dx * f;
        a.vy -= dy * f;
        b.vx += dx * f;
        b.vy += dy * f;
      }
    }
    // Springs along links.
    for (const link of this.links.values()) {
      const a = link.source;
      const b = link.target;
      const dx = b.x - a.x || 0.01;
      const dy = b.y - a.y || 0.01;
      const d = Math.sqrt(dx * dx + dy * dy);
      // Hubs get longer links, so their many neighbors' labels have room around them.
      const length = LINK_LENGTH + 5 * Math.min(30, Math.max(a.degree, b.degree));
      const f = ((d - length) / d) * alpha * 0.25;
      a.vx += dx * f;
      a.vy += dy * f;
      b.vx -= dx * f;
      b.vy -= dy * f;
    }
    // Weak pull to the centre, damping, move.
    for (const n of list) {
      n.vx -= n.x * GRAVITY * alpha;
      n.vy -= n.y * GRAVITY * alpha;
      if (n.fx !== null) {
        n.x = n.fx;
        n.y = n.fy;
        n.vx = 0;
        n.vy = 0;
        continue;
      }
      n.vx *= VELOCITY_KEEP;
      n.vy *= VELOCITY_KEEP;
      n.x += Math.max(-40, Math.min(40, n.vx));
      n.y += Math.max(-40, Math.min(40, n.vy));
    }
    this.alpha *= ALPHA_DECAY;
  }

  render() {
    for (const n of this.nodes.values()) this.place(n);
    for (const link of this.links.values()) {
      const a = link.source;
      const b = link.target;
      const dx = b.x - a.x;
      const dy = b.y - a.y;
      const d = Math.sqrt(dx * dx + dy * dy) || 1;
      const ux = dx / d;
      const uy = dy / d;
      const x1 = a.x + ux * a.kind.radius;
      const y1 = a.y + uy * a.kind.radius;
      const x2 = b.x - ux * (b.kind.radius + 2);
      const y2 = b.y - uy * (b.kind.radius + 2);
      for (const line of [link.line, link.hit]) {
        line.setAttribute("x1", x1.toFixed(1));
        line.setAttribute("y1", y1.toFixed(1));
        line.setAttribute("x2", x2.toFixed(1));
        line.setAttribute("y2", y2.toFixed(1));
      }
      link.text.setAttribute("x", ((x1 + x2) / 2).toFixed(1));
      link.text.setAttribute("y", ((y1 + y2) / 2).toFixed(1));
    }
    if (!this.userMoved && this.nodes.size > 0) this.fit();
  }

  // ---- view: fit, pan, zoom, drag ----

  applyView() {
    const { k, x, y } = this.view;
    this.viewport.setAttribute("transform", `translate(${x.toFixed(1)},${y.toFixed(1)}) scale(${k.toFixed(4)})`);
  }

  /** Scales and centres the view on every node. */
  fit() {
    const rect = this.svg.getBoundingClientRect();
    if (this.nodes.size === 0 || rect.width === 0 || rect.height === 0) return;
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (const n of this.nodes.values()) {
      minX = Math.min(minX, n.x);
      minY = Math.min(minY, n.y);
      maxX = Math.max(maxX, n.x);
      maxY = Math.max(maxY, n.y);
    }
    // Room for the labels, which are wider than the shapes.
    const w = maxX - minX + 2 * 110;
    const h = maxY - minY + 2 * 55;
    const k = Math.max(MIN_SCALE, Math.min(1.4, rect.width / w, rect.height / h));
    this.view = {
      k,
      x: rect.width / 2 - ((minX + maxX) / 2) * k,
      y: rect.height / 2 - ((minY + maxY) / 2) * k,
    };
    this.applyView();
  }

  /** Re-enables automatic fitting and fits now. */
  refit() {
    this.userMoved = false;
    this.fit();
  }

  toGraph(clientX, clientY) {
    const rect = this.svg.getBoundingClientRect();
    return {
      x: (clientX - rect.left - this.view.x) / this.view.k,
      y: (clientY - rect.top - this.view.y) / this.view.k,
    };
  }

  bindPointer() {
    let gesture = null;
    this.svg.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      const target = e.target.closest && e.target.closest("g.node");
      const node = target ? this.nodes.get(target.dataset.id) : null;
      gesture = { node, startX: e.clientX, startY: e.clientY, moved: false, view: { ...this.view } };
      this.svg.setPointerCapture(e.pointerId);
    });
    this.svg.addEventListener("pointermove", (e) => {
      if (!gesture) return;
      const dx = e.clientX - gesture.startX;
      const dy = e.clientY - gesture.startY;
      if (!gesture.moved && dx * dx + dy * dy < 16) return;
      gesture.moved = true;
      if (gesture.node) {
        const p = this.toGraph(e.clientX, e.clientY);
        gesture.node.fx = p.x;
        gesture.node.fy = p.y;
        gesture.node.x = p.x;
        gesture.node.y = p.y;
        this.userMoved = true;
        this.heat(0.25);
      } else {
        this.userMoved = true;
        this.view.x = gesture.view.x + dx;
        this.view.y = gesture.view.y + dy;
        this.applyView();
      }
    });
    const end = (e) => {
      if (!gesture) return;
      const { node, moved } = gesture;
      gesture = null;
      if (this.svg.hasPointerCapture(e.pointerId)) this.svg.releasePointerCapture(e.pointerId);
      if (node) {
        node.fx = null;
        node.fy = null;
        if (!moved && e.type === "pointerup") this.handlers.onActivate(node.id);
      }
    };
    this.svg.addEventListener("pointerup", end);
    this.svg.addEventListener("pointercancel", end);
    this.svg.addEventListener(
      "wheel",
      (e) => {
        e.preventDefault();
        const rect = this.svg.getBoundingClientRect();
        const px = e.clientX - rect.left;
        const py = e.clientY - rect.top;
        const factor = Math.exp(-e.deltaY * 0.0015);
        const k = Math.max(MIN_SCALE, Math.min(MAX_SCALE, this.view.k * factor));
        this.view.x = px - ((px - this.view.x) * k) / this.view.k;
        this.view.y = py - ((py - this.view.y) * k) / this.view.k;
        this.view.k = k;
        this.userMoved = true;
        this.applyView();
      },
      { passive: false },
    );
  }
}
