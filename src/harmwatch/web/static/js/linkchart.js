/* The link chart (/intelligence/chart): an entity's neighbourhood and the path between two
 * entities, drawn with Cytoscape (vendored) from this app's JSON APIs:
 *   /api/intelligence/chart?entity=N&hops=H   the chart (nodes, edges, handling conditions)
 *   /api/intelligence/path?from=N&to=M        the path(s), hop by hop, and their chart
 * Shapes tell entity kinds apart and line styles link strengths, so nothing depends on colour
 * alone; the path's hops, and every entity and link, are also written out as tables. Data only
 * ever reach the page as text (textContent, never innerHTML). PNG and SVG downloads are drawn
 * here and carry the chart's title and every handling-code C condition.
 * Loaded as a file: the CSP forbids inline scripts and inline styles. */
(function () {
  "use strict";

  var ENTITY_PREFIX = "intelligence-entity:";
  var FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", Arial, sans-serif';
  var INK = "#1b2733";
  var EDGE = "#4a5866"; // 7.4:1 on white
  var PATH = "#111a24";
  var HALO = "#f0b429"; // the app's focus colour, under the dark path line
  var WEAK_TEXT = "#7d1d14";
  // Shape and fill per entity kind (fills are at least 3:1 on white, each with a dark outline).
  var KINDS = {
    person: { shape: "ellipse", colour: "#0b5cad", name: "Person" },
    phone: { shape: "round-rectangle", colour: "#1e7b4f", name: "Phone" },
    handset: { shape: "rectangle", colour: "#4a5866", name: "Handset" },
    address: { shape: "triangle", colour: "#8a5a00", name: "Address" },
    vehicle: { shape: "diamond", colour: "#6a3d9a", name: "Vehicle" },
    ocg: { shape: "hexagon", colour: "#9b1c1c", name: "Organised crime group" },
    "county-line": { shape: "star", colour: "#00626f", name: "County line" },
  };
  var OTHER_KIND = { shape: "ellipse", colour: "#56616d", name: "Entity" };
  var STRENGTH_NAMES = { confirmed: "confirmed (solid)", tentative: "tentative (dashed)", unconfirmed: "unconfirmed (dotted)" };
  // Dash patterns (model units) shared by the canvas and the SVG export.
  var DASH = { tentative: [9, 5], unconfirmed: [0.5, 6] };
  var PATH_DASH = { tentative: [13, 7], unconfirmed: [0.5, 10] };
  // Cytoscape adds an inline <style> unless an element with this id exists; the CSP would refuse
  // it (a console error), so the marker goes in first and app.css carries the rule instead.
  var CY_STYLESHEET_ID = "__________cytoscape_stylesheet";

  // ---------------------------------------------------------------- small helpers

  function $(id) { return document.getElementById(id); }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function kindOf(kind) { return KINDS[kind] || OTHER_KIND; }

  function words(kind) { return String(kind || "").replace(/[-_]/g, " "); }

  function entityNumber(nodeId) {
    var s = String(nodeId);
    return s.indexOf(ENTITY_PREFIX) === 0 ? s.slice(ENTITY_PREFIX.length) : s;
  }

  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.ok) return response.json();
        return response.json().then(
          function (body) { throw httpError(response, body && body.detail); },
          function () { throw httpError(response, null); }
        );
      });
  }

  function httpError(response, detail) {
    var message = typeof detail === "string" ? detail : detail ? JSON.stringify(detail) : "";
    var error = new Error(message || response.status + " " + response.statusText);
    error.status = response.status;
    return error;
  }

  function needsJustification(error) {
    return error.status === 400 || /justification/i.test(error.message || "");
  }

  function reportText(r) {
    return r.reference + " (" + r.grade + ")";
  }

  // "2025-06-01T10:00:00+00:00" (UTC) as "2025-06-01 10:00:00 UTC".
  function when(iso) {
    if (!iso) return "an unknown time";
    return String(iso).replace("T", " ").replace(/(\+00:00|Z)$/, "") + " UTC";
  }

  // The attributes worth showing: those with a value, by name.
  function shownAttributes(attrs) {
    return Object.keys(attrs || {}).sort().filter(function (k) {
      return attrs[k] !== null && attrs[k] !== undefined && String(attrs[k]).trim() !== "";
    });
  }

  function dates(start, end) {
    if (!start && !end) return "no dates recorded";
    return (start || "unknown") + " to " + (end || "now");
  }

  // ---------------------------------------------------------------- the page's state

  var state = {
    cy: null,
    root: null, // node id of the chart's entity
    hops: 2,
    title: "",
    generatedBy: "",
    generatedAt: "",
    conditions: [], // every handling-code C condition seen, first-seen order
    notes: [],
    expanded: {}, // node id -> true once its neighbours were fetched
    path: null, // the path API's answer
    pathIndex: 0,
  };

  function addUnique(list, items) {
    (items || []).forEach(function (item) {
      if (list.indexOf(item) < 0) list.push(item);
    });
  }

  // ---------------------------------------------------------------- messages

  function showError(error, what) {
    var box = $("link-chart-error");
    if (!box) return;
    var text = (what ? what + ": " : "") + error.message;
    var seen = Array.prototype.some.call(box.childNodes, function (p) { return p.dataset.text === text; });
    if (seen) return;
    var p = el("p", null, text);
    p.dataset.text = text;
    var hint = box.querySelector(".lc-justify");
    box.insertBefore(p, hint); // the hint, once given, stays last
    if (needsJustification(error) && !hint) {
      hint = el("p", "lc-justify", "Declare the case or operation you are working on in the bar above.");
      hint.dataset.text = "";
      box.appendChild(hint);
    }
    box.hidden = false;
  }

  function setStatus(text) {
    var node = $("link-chart-status");
    if (node) node.textContent = text;
  }

  function renderConditions() {
    var box = $("link-chart-conditions");
    var list = $("link-chart-conditions-list");
    if (!box || !list) return;
    clear(list);
    state.conditions.forEach(function (c) { list.appendChild(el("li", null, "Handling code C: " + c)); });
    box.hidden = state.conditions.length === 0;
  }

  function renderNotes() {
    var list = $("link-chart-notes");
    if (!list) return;
    clear(list);
    state.notes.forEach(function (n) { list.appendChild(el("li", null, n)); });
    list.hidden = state.notes.length === 0;
  }

  // ---------------------------------------------------------------- Cytoscape

  function cyStyle() {
    return [
      {
        selector: "node",
        style: {
          shape: "data(shape)",
          "background-color": "data(colour)",
          width: 34,
          height: 34,
          "border-width": 2,
          "border-color": INK,
          label: "data(label)",
          "font-family": FONT,
          "font-size": 12,
          color: INK,
          "text-valign": "bottom",
          "text-halign": "center",
          "text-margin-y": 5,
          "text-wrap": "wrap",
          "text-max-width": 140,
          "text-background-color": "#ffffff",
          "text-background-opacity": 0.85,
          "text-background-padding": 2,
          "min-zoomed-font-size": 6,
        },
      },
      { selector: "node.root", style: { "border-width": 4, "font-weight": "bold" } },
      {
        selector: "edge",
        style: {
          width: 2.5,
          "line-color": EDGE,
          "curve-style": "bezier",
          "line-style": "solid",
          label: "data(label)",
          "font-family": FONT,
          "font-size": 10,
          color: "#33414e",
          "text-rotation": "autorotate",
          "text-background-color": "#ffffff",
          "text-background-opacity": 0.85,
          "text-background-padding": 1,
          "min-zoomed-font-size": 7,
        },
      },
      { selector: "edge.strength-tentative", style: { "line-style": "dashed", "line-dash-pattern": DASH.tentative } },
      {
        selector: "edge.strength-unconfirmed",
        style: { "line-style": "dashed", "line-dash-pattern": DASH.unconfirmed, "line-cap": "round", width: 3 },
      },
      {
        selector: "node.on-path",
        style: {
          "border-width": 5,
          "border-color": PATH,
          "underlay-color": HALO,
          "underlay-padding": 6,
          "underlay-opacity": 0.9,
          "underlay-shape": "ellipse",
          "font-weight": "bold",
        },
      },
      {
        selector: "edge.on-path",
        style: {
          width: 5,
          "line-color": PATH,
          "underlay-color": HALO,
          "underlay-padding": 4,
          "underlay-opacity": 0.9,
          "z-index": 10,
          "font-size": 10,
          color: PATH,
        },
      },
      { selector: "edge.on-path.strength-tentative", style: { "line-dash-pattern": PATH_DASH.tentative } },
      { selector: "edge.on-path.strength-unconfirmed", style: { "line-dash-pattern": PATH_DASH.unconfirmed, width: 6 } },
      { selector: "edge.weakest", style: { label: "data(weakLabel)", "font-weight": "bold", color: WEAK_TEXT, "font-size": 11 } },
      { selector: "node.hover, edge.hover", style: { "overlay-color": "#0b5cad", "overlay-opacity": 0.12, "overlay-padding": 4 } },
    ];
  }

  function nodeElement(n) {
    var k = kindOf(n.kind);
    return {
      group: "nodes",
      data: {
        id: n.id,
        label: n.label,
        kind: n.kind,
        shape: k.shape,
        colour: k.colour,
        attributes: n.attributes || {},
      },
      classes: "kind-" + n.kind,
    };
  }

  function edgeElement(e) {
    return {
      group: "edges",
      data: {
        id: e.id,
        source: e.source,
        target: e.target,
        kind: e.kind,
        strength: e.strength,
        start: e.start,
        end: e.end,
        sources: e.sources || [],
        label: words(e.kind),
        weakLabel: "weakest hop: " + words(e.kind),
      },
      classes: "strength-" + e.strength,
    };
  }

  // Adds a chart's nodes and edges not yet drawn (by id). New nodes start on a ring around
  // `near` (a position), in id order, so the layout that follows is repeatable.
  function merge(chart, near) {
    var cy = state.cy;
    var newNodes = chart.nodes.filter(function (n) { return cy.getElementById(n.id).empty(); });
    var centre = near || { x: 0, y: 0 };
    var ring = Math.max(90, newNodes.length * 12);
    var added = newNodes.map(function (n, i) {
      var element = nodeElement(n);
      var angle = (2 * Math.PI * i) / Math.max(1, newNodes.length) + 0.3;
      element.position = { x: centre.x + ring * Math.cos(angle), y: centre.y + ring * Math.sin(angle) };
      return element;
    });
    var newEdges = chart.edges.filter(function (e) {
      return cy.getElementById(e.id).empty();
    });
    cy.batch(function () {
      cy.add(added);
      // An edge needs both ends drawn; a chart always holds the ends of its edges.
      cy.add(newEdges.filter(function (e) {
        return !cy.getElementById(e.source).empty() && !cy.getElementById(e.target).empty();
      }).map(edgeElement));
    });
    addUnique(state.conditions, chart.conditions);
    addUnique(state.notes, chart.notes);
    return { nodes: added.length, edges: newEdges.length };
  }

  // Starting positions for a first drawing: rings by distance (in hops) from the root, in id
  // order. Cose then refines from there; with randomize off it gives the same picture each time.
  function seedPositions(chartLoaded) {
    var cy = state.cy;
    var root = cy.getElementById(state.root);
    var depth = {};
    if (root.nonempty()) {
      cy.elements().bfs({
        roots: root,
        visit: function (v, e, u, i, d) { depth[v.id()] = d; },
      });
    }
    var rings = {};
    var maxDepth = 0;
    cy.nodes().forEach(function (n) {
      var d = depth[n.id()];
      // Within the chart's hops every neighbour is drawn already (a distance in the drawn
      // graph is never shorter than in the whole graph), so there is nothing to expand.
      if (chartLoaded && d !== undefined && d < state.hops) state.expanded[n.id()] = true;
      if (d === undefined) d = -1;
      else if (d > maxDepth) maxDepth = d;
      (rings[d] = rings[d] || []).push(n);
    });
    if (rings[-1]) { rings[maxDepth + 1] = rings[-1]; delete rings[-1]; }
    Object.keys(rings).forEach(function (key) {
      var d = Number(key);
      var members = rings[key].sort(function (a, b) { return a.id() < b.id() ? -1 : 1; });
      members.forEach(function (n, i) {
        if (d === 0 && members.length === 1) { n.position({ x: 0, y: 0 }); return; }
        var radius = 130 * Math.max(d, 1) + members.length * 4;
        var angle = (2 * Math.PI * i) / members.length + d * 0.45;
        n.position({ x: radius * Math.cos(angle), y: radius * Math.sin(angle) });
      });
    });
  }

  function runLayout() {
    var cy = state.cy;
    if (cy.nodes().length > 1) {
      cy.layout({
        name: "cose",
        randomize: false,
        animate: false,
        fit: true,
        padding: 40,
        nodeDimensionsIncludeLabels: true,
        idealEdgeLength: function () { return 100; },
        nodeRepulsion: function () { return 7000; },
        edgeElasticity: function () { return 80; },
        gravity: 0.6,
        numIter: 1200,
        componentSpacing: 80,
      }).run();
    } else {
      cy.fit(undefined, 80);
      cy.zoom(Math.min(cy.zoom(), 1.5));
      cy.center();
    }
  }

  // ---------------------------------------------------------------- tooltip

  function tooltipFor(ele) {
    var box = el("div");
    var list = el("dl");
    function row(term, value) {
      list.appendChild(el("dt", null, term));
      list.appendChild(el("dd", null, value));
    }
    if (ele.isNode()) {
      box.appendChild(el("strong", null, ele.data("label")));
      row("kind", kindOf(ele.data("kind")).name.toLowerCase());
      var attrs = ele.data("attributes") || {};
      shownAttributes(attrs).forEach(function (k) { row(words(k), attrs[k]); });
      box.appendChild(list);
      if (!state.expanded[ele.id()]) box.appendChild(el("p", "lc-tip-sub", "Select it to add the entities linked to it."));
    } else {
      box.appendChild(el("strong", null, words(ele.data("kind"))));
      row("strength", ele.data("strength"));
      row("dates", dates(ele.data("start"), ele.data("end")));
      row("between", ele.source().data("label") + " and " + ele.target().data("label"));
      box.appendChild(list);
      var sources = ele.data("sources") || [];
      box.appendChild(el("p", "lc-tip-sub", sources.length ? "Reports (grade):" : "No report visible."));
      var ul = el("ul");
      sources.forEach(function (s) {
        var text = reportText(s) + (s.reported_on ? ", reported " + s.reported_on : "");
        if (s.conditions) text += "; handling code C: " + s.conditions;
        ul.appendChild(el("li", null, text));
      });
      if (sources.length) box.appendChild(ul);
    }
    return box;
  }

  function showTooltip(ele, rendered) {
    var tip = $("link-chart-tooltip");
    if (!tip) return;
    clear(tip);
    tip.appendChild(tooltipFor(ele));
    tip.hidden = false;
    var frame = tip.parentNode;
    var x = rendered.x + 16;
    var y = rendered.y + 16;
    var maxX = frame.clientWidth - tip.offsetWidth - 8;
    var maxY = frame.clientHeight - tip.offsetHeight - 8;
    if (x > maxX) x = Math.max(8, rendered.x - tip.offsetWidth - 16);
    if (y > maxY) y = Math.max(8, maxY);
    // CSSOM properties, not a style attribute: allowed by the CSP's style-src 'self'.
    tip.style.left = Math.round(x) + "px";
    tip.style.top = Math.round(y) + "px";
  }

  function hideTooltip() {
    var tip = $("link-chart-tooltip");
    if (tip) tip.hidden = true;
    if (state.cy) state.cy.elements(".hover").removeClass("hover");
  }

  // ---------------------------------------------------------------- the path

  function labelOf(id) {
    var node = state.cy && state.cy.getElementById(id);
    if (node && node.nonempty()) return node.data("label");
    var p = state.path && state.path.paths[state.pathIndex];
    if (p) {
      var i = p.nodes.indexOf(id);
      if (i >= 0) return p.labels[i];
    }
    return id;
  }

  function highlightPath() {
    var cy = state.cy;
    if (!cy) return;
    cy.elements().removeClass("on-path weakest");
    var p = state.path && state.path.found ? state.path.paths[state.pathIndex] : null;
    if (!p) return;
    p.nodes.forEach(function (id) { cy.getElementById(id).addClass("on-path"); });
    p.hops.forEach(function (h) { cy.getElementById(h.link).addClass("on-path"); });
    cy.getElementById(p.weakest_hop.link).addClass("weakest");
  }

  function renderPath() {
    var summary = $("path-summary");
    var table = $("path-hops");
    if (!summary || !table) return;
    var body = table.tBodies[0];
    clear(body);
    var weakest = $("weakest-hop");
    var wrap = table.parentNode;
    var result = state.path;
    var from = labelOf(result.from);
    var to = labelOf(result.to);
    if (!result.found || !result.paths.length) {
      summary.textContent = "No path between " + from + " and " + to + " in the intelligence you may see" +
        (result.all_paths_up_to ? " within " + plural(result.all_paths_up_to, "hop", "hops") : "") + ".";
      weakest.hidden = true;
      wrap.hidden = true;
      $("link-chart").dataset.path = "none";
      return;
    }
    wrap.hidden = false;
    var p = result.paths[state.pathIndex];
    var count = result.paths.length;
    summary.textContent = (count > 1 ? "Path " + (state.pathIndex + 1) + " of " + count + ": " : "") +
      from + " to " + to + " in " + plural(p.length, "hop", "hops") + ": " + p.labels.join(" – ") + ".";
    p.hops.forEach(function (h, i) {
      var tr = el("tr");
      var isWeakest = h.link === p.weakest_hop.link;
      if (isWeakest) tr.className = "weakest";
      var num = el("td", "num", String(i + 1));
      tr.appendChild(num);
      tr.appendChild(el("td", null, labelOf(h.from)));
      var link = el("td", null, words(h.kind) + ", " + h.strength);
      if (isWeakest) {
        link.appendChild(document.createTextNode(" "));
        link.appendChild(el("span", "tag lc-weakest-tag", "weakest hop"));
      }
      tr.appendChild(link);
      tr.appendChild(el("td", null, labelOf(h.to)));
      tr.appendChild(el("td", null, h.reports.map(reportText).join("; ") || "none visible"));
      body.appendChild(tr);
    });
    var w = p.weakest_hop;
    weakest.textContent = "Weakest hop: " + labelOf(w.from) + " – " + labelOf(w.to) + ": " + w.why + ".";
    weakest.hidden = false;
    $("link-chart").dataset.path = "found";
  }

  function pathChoice() {
    var field = $("path-choice-field");
    var select = $("path-choice");
    if (!field || !select || !state.path || state.path.paths.length < 2) return;
    clear(select);
    state.path.paths.forEach(function (p, i) {
      var option = el("option", null, "Path " + (i + 1) + ": " + plural(p.length, "hop", "hops") +
        ", weakest hop " + p.weakest_hop.strength + " " + words(p.weakest_hop.kind));
      option.value = String(i);
      select.appendChild(option);
    });
    field.hidden = false;
    select.addEventListener("change", function () {
      state.pathIndex = Number(select.value) || 0;
      highlightPath();
      renderPath();
    });
  }

  // ---------------------------------------------------------------- text alternative

  function renderText() {
    var cy = state.cy;
    var container = $("link-chart");
    var nodes = cy.nodes().sort(function (a, b) {
      return a.data("label").localeCompare(b.data("label"), "en-GB") || (a.id() < b.id() ? -1 : 1);
    });
    var edges = cy.edges().sort(function (a, b) {
      return a.source().data("label").localeCompare(b.source().data("label"), "en-GB") || (a.id() < b.id() ? -1 : 1);
    });
    var entities = $("chart-entities");
    if (entities) {
      var body = entities.tBodies[0];
      clear(body);
      nodes.forEach(function (n) {
        var tr = el("tr");
        tr.appendChild(el("td", null, n.data("label")));
        tr.appendChild(el("td", null, kindOf(n.data("kind")).name));
        var attrs = n.data("attributes") || {};
        tr.appendChild(el("td", "small", shownAttributes(attrs).map(function (k) {
          return words(k) + ": " + attrs[k];
        }).join("; ")));
        var cell = el("td");
        if (!state.expanded[n.id()]) {
          var button = el("button", "btn btn-small", "Expand");
          button.type = "button";
          button.appendChild(el("span", "visually-hidden", " " + n.data("label")));
          button.addEventListener("click", function () { expand(n.id()); });
          cell.appendChild(button);
        } else {
          cell.appendChild(el("span", "small muted", "expanded"));
        }
        tr.appendChild(cell);
        body.appendChild(tr);
      });
    }
    var links = $("chart-links");
    if (links) {
      var lbody = links.tBodies[0];
      clear(lbody);
      edges.forEach(function (e) {
        var tr = el("tr");
        tr.appendChild(el("td", null, e.source().data("label")));
        tr.appendChild(el("td", null, words(e.data("kind"))));
        tr.appendChild(el("td", null, e.data("strength")));
        tr.appendChild(el("td", null, e.target().data("label")));
        tr.appendChild(el("td", "nowrap", dates(e.data("start"), e.data("end"))));
        tr.appendChild(el("td", null, (e.data("sources") || []).map(reportText).join("; ") || "none visible"));
        lbody.appendChild(tr);
      });
    }
    var described = plural(nodes.length, "entity", "entities") + " and " + plural(edges.length, "link", "links");
    var root = cy.getElementById(state.root);
    var around = root.nonempty() ? " around " + root.data("label") : "";
    container.setAttribute("aria-label", "Link chart of " + described + around +
      (state.path && state.path.found ? ", with the path to " + labelOf(state.path.to) + " highlighted" : ""));
    var summary = $("link-chart-summary");
    if (summary) {
      summary.textContent = state.title + ": " + described + ". Generated for " + state.generatedBy +
        " at " + when(state.generatedAt) + ". The same entities and links are listed as text below.";
    }
    container.dataset.nodes = String(nodes.length);
    container.dataset.edges = String(edges.length);
  }

  // ---------------------------------------------------------------- expanding a node

  function expand(nodeId) {
    var cy = state.cy;
    var node = cy.getElementById(nodeId);
    if (node.empty()) return Promise.resolve();
    if (state.expanded[nodeId]) {
      setStatus(node.data("label") + " is already expanded.");
      return Promise.resolve();
    }
    var label = node.data("label");
    setStatus("Adding the entities linked to " + label + "…");
    var url = "/api/intelligence/chart?entity=" + encodeURIComponent(entityNumber(nodeId)) + "&hops=1";
    return getJSON(url)
      .then(function (chart) {
        state.expanded[nodeId] = true;
        var added = merge(chart, node.position());
        if (added.nodes || added.edges) runLayout();
        highlightPath();
        renderConditions();
        renderNotes();
        renderText();
        setStatus(added.nodes || added.edges
          ? "Added " + plural(added.nodes, "entity", "entities") + " and " + plural(added.edges, "link", "links") + " linked to " + label + "."
          : "Nothing more is linked to " + label + " in the intelligence you may see.");
      })
      .catch(function (error) {
        showError(error, "Could not expand " + label);
        setStatus("");
      });
  }

  // ---------------------------------------------------------------- downloads

  function baseName() {
    var c = $("link-chart");
    var name = "link-chart-" + c.dataset.entity;
    if (state.path && state.path.found) name += "-to-" + c.dataset.to;
    return name;
  }

  function save(blob, filename) {
    var url = URL.createObjectURL(blob);
    var a = document.createElement("a");
    a.href = url;
    a.download = filename;
    a.hidden = true;
    document.body.appendChild(a);
    a.click();
    document.body.removeChild(a);
    window.setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
  }

  // The lines every download carries: what it is, whose, and every handling condition.
  function headerLines() {
    var lines = [{ text: state.title || "Link chart", bold: true }];
    lines.push({ text: "Generated for " + state.generatedBy + " at " + when(state.generatedAt) + " by harmwatch." });
    state.conditions.forEach(function (c) { lines.push({ text: "Handling code C: " + c, bold: true, warn: true }); });
    state.notes.forEach(function (n) { lines.push({ text: n }); });
    return lines;
  }

  var KEY_LINE = "Links: confirmed solid, tentative dashed, unconfirmed dotted; the path thick and highlighted. " +
    "Entities: person circle, phone rounded square, handset square, address triangle, vehicle diamond, " +
    "organised crime group hexagon, county line star.";

  function wrap(ctx, text, width) {
    var out = [];
    var line = "";
    text.split(/\s+/).forEach(function (word) {
      var test = line ? line + " " + word : word;
      if (line && ctx.measureText(test).width > width) {
        out.push(line);
        line = word;
      } else {
        line = test;
      }
    });
    if (line) out.push(line);
    return out;
  }

  function downloadPNG() {
    var cy = state.cy;
    var scale = 2;
    // A data: URI (img-src allows data:) drawn onto a bigger canvas with the header and key.
    var uri = cy.png({ output: "base64uri", full: true, scale: scale, bg: "#ffffff", maxWidth: 5000, maxHeight: 5000 });
    var img = new Image();
    img.onload = function () {
      var pad = 16 * scale;
      var width = Math.max(img.width + 2 * pad, 900 * scale);
      var canvas = document.createElement("canvas");
      var ctx = canvas.getContext("2d");
      var size = 13 * scale;
      var lh = Math.round(size * 1.4);
      function font(bold) { return (bold ? "bold " : "") + size + "px " + FONT; }
      var header = [];
      headerLines().forEach(function (line) {
        ctx.font = font(line.bold);
        wrap(ctx, line.text, width - 2 * pad).forEach(function (t) {
          header.push({ text: t, bold: line.bold, warn: line.warn });
        });
      });
      ctx.font = font(false);
      var footer = wrap(ctx, KEY_LINE, width - 2 * pad);
      canvas.width = width;
      canvas.height = pad + header.length * lh + pad + img.height + pad + footer.length * lh + pad;
      ctx.fillStyle = "#ffffff";
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.textBaseline = "top";
      var y = pad;
      header.forEach(function (line) {
        ctx.font = font(line.bold);
        ctx.fillStyle = line.warn ? WEAK_TEXT : INK;
        ctx.fillText(line.text, pad, y);
        y += lh;
      });
      y += pad;
      ctx.drawImage(img, Math.round((width - img.width) / 2), y);
      y += img.height + pad;
      ctx.font = font(false);
      ctx.fillStyle = INK;
      footer.forEach(function (t) { ctx.fillText(t, pad, y); y += lh; });
      canvas.toBlob(function (blob) {
        if (blob) save(blob, baseName() + ".png");
        else showError(new Error("the browser could not write the PNG"), "Download PNG");
      }, "image/png");
    };
    img.onerror = function () { showError(new Error("the browser could not draw the chart"), "Download PNG"); };
    img.src = uri;
  }

  // ---- SVG, written from the drawn positions (the cytoscape-svg extension is GPL, not vendored)

  var SVG_NS = "http://www.w3.org/2000/svg";

  function polygonPoints(shape, x, y, w, h) {
    var unit;
    if (shape === "triangle") unit = [[0, -1], [1, 1], [-1, 1]];
    else if (shape === "diamond") unit = [[0, -1], [1, 0], [0, 1], [-1, 0]];
    else if (shape === "hexagon") unit = [[-0.5, -1], [0.5, -1], [1, 0], [0.5, 1], [-0.5, 1], [-1, 0]];
    else if (shape === "star") {
      unit = [];
      for (var i = 0; i < 10; i++) {
        var r = i % 2 === 0 ? 1 : 0.42;
        var a = -Math.PI / 2 + (i * Math.PI) / 5;
        unit.push([r * Math.cos(a), r * Math.sin(a) * 1.05 + 0.05]);
      }
    } else return null;
    return unit.map(function (p) {
      return (x + (p[0] * w) / 2).toFixed(1) + "," + (y + (p[1] * h) / 2).toFixed(1);
    }).join(" ");
  }

  function downloadSVG() {
    var cy = state.cy;
    var doc = document.implementation.createDocument(SVG_NS, "svg", null);
    var svg = doc.documentElement;
    function make(tag, attrs, text, parent) {
      var node = doc.createElementNS(SVG_NS, tag);
      Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
      if (text !== undefined && text !== null) node.textContent = String(text);
      (parent || svg).appendChild(node);
      return node;
    }
    var bb = cy.elements().boundingBox({ includeLabels: true, includeOverlays: false });
    var pad = 20;
    var size = 13;
    var lh = 18;
    var chartWidth = Math.max(bb.w, 1) + 2 * pad;
    var width = Math.max(chartWidth, 900);
    var charsPerLine = Math.floor((width - 2 * pad) / (size * 0.55));
    function wrapChars(text) {
      var out = [];
      var line = "";
      text.split(/\s+/).forEach(function (word) {
        var test = line ? line + " " + word : word;
        if (line && test.length > charsPerLine) { out.push(line); line = word; } else line = test;
      });
      if (line) out.push(line);
      return out;
    }
    var header = [];
    headerLines().forEach(function (line) {
      wrapChars(line.text).forEach(function (t) { header.push({ text: t, bold: line.bold, warn: line.warn }); });
    });
    var footer = wrapChars(KEY_LINE);
    var top = pad + header.length * lh + pad;
    var chartHeight = Math.max(bb.h, 1) + 2 * pad;
    var height = top + chartHeight + footer.length * lh + pad;
    svg.setAttribute("xmlns", SVG_NS);
    svg.setAttribute("width", Math.ceil(width));
    svg.setAttribute("height", Math.ceil(height));
    svg.setAttribute("viewBox", "0 0 " + Math.ceil(width) + " " + Math.ceil(height));
    svg.setAttribute("font-family", FONT);
    svg.setAttribute("role", "img");
    make("title", {}, state.title || "Link chart");
    make("desc", {}, headerLines().map(function (l) { return l.text; }).join("\n") + "\n" + KEY_LINE);
    make("rect", { x: 0, y: 0, width: Math.ceil(width), height: Math.ceil(height), fill: "#ffffff" });
    var y = pad;
    header.forEach(function (line) {
      make("text", {
        x: pad, y: y + size, "font-size": size, "font-weight": line.bold ? "bold" : "normal",
        fill: line.warn ? WEAK_TEXT : INK,
      }, line.text);
      y += lh;
    });
    var dx = (width - chartWidth) / 2 + pad - bb.x1;
    var dy = top + pad - bb.y1;
    var chart = make("g", { transform: "translate(" + dx.toFixed(1) + " " + dy.toFixed(1) + ")" });
    var edgesGroup = make("g", { "class": "edges" }, null, chart);
    var nodesGroup = make("g", { "class": "nodes" }, null, chart);

    cy.edges().forEach(function (e) {
      var s = e.sourceEndpoint();
      var t = e.targetEndpoint();
      var cps = e.controlPoints() || [];
      var d = "M" + s.x.toFixed(1) + " " + s.y.toFixed(1);
      if (cps.length === 1) {
        d += " Q" + cps[0].x.toFixed(1) + " " + cps[0].y.toFixed(1) + " " + t.x.toFixed(1) + " " + t.y.toFixed(1);
      } else if (cps.length > 1) {
        for (var i = 0; i < cps.length; i++) {
          var next = i + 1 < cps.length ? { x: (cps[i].x + cps[i + 1].x) / 2, y: (cps[i].y + cps[i + 1].y) / 2 } : t;
          d += " Q" + cps[i].x.toFixed(1) + " " + cps[i].y.toFixed(1) + " " + next.x.toFixed(1) + " " + next.y.toFixed(1);
        }
      } else {
        d += " L" + t.x.toFixed(1) + " " + t.y.toFixed(1);
      }
      var onPath = e.hasClass("on-path");
      var strength = e.data("strength");
      var g = make("g", { "class": "edge strength-" + strength + (onPath ? " on-path" : "") }, null, edgesGroup);
      make("title", {}, words(e.data("kind")) + ", " + strength + ": " +
        (e.data("sources") || []).map(reportText).join("; "), g);
      if (onPath) {
        make("path", { d: d, fill: "none", stroke: HALO, "stroke-width": 13, "stroke-opacity": 0.9, "stroke-linecap": "round" }, null, g);
      }
      var attrs = { d: d, fill: "none", stroke: onPath ? PATH : EDGE, "stroke-width": onPath ? (strength === "unconfirmed" ? 6 : 5) : (strength === "unconfirmed" ? 3 : 2.5) };
      var dash = (onPath ? PATH_DASH : DASH)[strength];
      if (dash) attrs["stroke-dasharray"] = dash.join(" ");
      if (strength === "unconfirmed") attrs["stroke-linecap"] = "round";
      make("path", attrs, null, g);
      var mid = e.midpoint();
      var weak = e.hasClass("weakest");
      make("text", {
        x: mid.x.toFixed(1), y: (mid.y - 3).toFixed(1), "text-anchor": "middle",
        "font-size": weak ? 11 : 10, "font-weight": weak ? "bold" : "normal",
        fill: weak ? WEAK_TEXT : "#33414e", stroke: "#ffffff", "stroke-width": 3, "paint-order": "stroke",
      }, weak ? e.data("weakLabel") : e.data("label"), g);
    });

    cy.nodes().forEach(function (n) {
      var p = n.position();
      var w = n.width();
      var h = n.height();
      var k = kindOf(n.data("kind"));
      var onPath = n.hasClass("on-path");
      var g = make("g", { "class": "node kind-" + n.data("kind") + (onPath ? " on-path" : "") }, null, nodesGroup);
      make("title", {}, n.data("label") + " (" + k.name.toLowerCase() + ")", g);
      if (onPath) {
        make("circle", { cx: p.x.toFixed(1), cy: p.y.toFixed(1), r: (Math.max(w, h) / 2 + 8).toFixed(1), fill: HALO, "fill-opacity": 0.9 }, null, g);
      }
      var style = {
        fill: k.colour,
        stroke: onPath ? PATH : INK,
        "stroke-width": onPath ? 5 : (n.hasClass("root") ? 4 : 2),
      };
      var shape;
      var points = polygonPoints(k.shape, p.x, p.y, w, h);
      if (points) {
        shape = make("polygon", { points: points }, null, g);
      } else if (k.shape === "rectangle" || k.shape === "round-rectangle") {
        shape = make("rect", {
          x: (p.x - w / 2).toFixed(1), y: (p.y - h / 2).toFixed(1), width: w, height: h,
          rx: k.shape === "round-rectangle" ? Math.min(w, h) / 4 : 0,
        }, null, g);
      } else {
        shape = make("ellipse", { cx: p.x.toFixed(1), cy: p.y.toFixed(1), rx: w / 2, ry: h / 2 }, null, g);
      }
      Object.keys(style).forEach(function (key) { shape.setAttribute(key, String(style[key])); });
      make("text", {
        x: p.x.toFixed(1), y: (p.y + h / 2 + 5 + 12).toFixed(1), "text-anchor": "middle", "font-size": 12,
        "font-weight": onPath || n.hasClass("root") ? "bold" : "normal",
        fill: INK, stroke: "#ffffff", "stroke-width": 3, "paint-order": "stroke",
      }, n.data("label"), g);
    });

    y = top + chartHeight;
    footer.forEach(function (t) {
      make("text", { x: pad, y: y + size, "font-size": size, fill: INK }, t);
      y += lh;
    });
    var text = '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(doc);
    save(new Blob([text], { type: "image/svg+xml" }), baseName() + ".svg");
  }

  // ---------------------------------------------------------------- start

  function bindChart(cy) {
    cy.on("mouseover", "node, edge", function (evt) {
      evt.target.addClass("hover");
      showTooltip(evt.target, evt.renderedPosition || evt.target.renderedMidpoint());
    });
    cy.on("mouseout", "node, edge", hideTooltip);
    cy.on("pan zoom", hideTooltip);
    cy.on("tap", "node", function (evt) {
      hideTooltip();
      expand(evt.target.id());
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") hideTooltip();
    });
  }

  // A download takes intelligence away: the server logs it as a disclosure to the recipient
  // (and refuses it while handling-code C conditions are unacknowledged) before the file is saved.
  function logged(format, draw) {
    return function () {
      var meta = document.querySelector('meta[name="csrf-token"]');
      var recipient = $("link-chart-recipient");
      var acknowledge = $("link-chart-acknowledge");
      return fetch("/api/intelligence/export", {
        method: "POST",
        credentials: "same-origin",
        headers: {
          Accept: "application/json",
          "Content-Type": "application/json",
          "X-CSRF-Token": meta ? meta.getAttribute("content") : ""
        },
        body: JSON.stringify({
          entity: state.root.slice(ENTITY_PREFIX.length),
          hops: state.hops,
          format: format,
          recipient: recipient ? recipient.value : "",
          acknowledge_conditions: acknowledge ? acknowledge.checked : false
        })
      }).then(function (response) {
        if (!response.ok) {
          return response.json().then(function (body) {
            throw new Error(typeof body.detail === "string" ? body.detail : "the download was refused");
          }, function () {
            throw new Error("the download was refused (" + response.status + ")");
          });
        }
        draw();
      }).catch(function (error) {
        showError(error, format === "png" ? "Download PNG" : "Download SVG");
      });
    };
  }

  function enableButtons() {
    [["link-chart-png", logged("png", downloadPNG)], ["link-chart-svg", logged("svg", downloadSVG)], ["link-chart-fit", function () {
      state.cy.fit(undefined, 40);
    }]].forEach(function (pair) {
      var button = $(pair[0]);
      if (!button) return;
      button.disabled = false;
      button.addEventListener("click", function () {
        try {
          pair[1]();
        } catch (error) {
          showError(error, button.textContent);
        }
      });
    });
  }

  function start(container) {
    var entity = container.dataset.entity;
    var to = container.dataset.to;
    state.hops = Number(container.dataset.hops) || 0;
    state.root = ENTITY_PREFIX + entity;
    if (!document.getElementById(CY_STYLESHEET_ID)) {
      var marker = document.createElement("meta");
      marker.id = CY_STYLESHEET_ID;
      marker.name = "cytoscape-stylesheet";
      marker.content = "in /static/css/app.css";
      document.head.appendChild(marker);
    }
    var cy = cytoscape({
      container: container,
      style: cyStyle(),
      elements: [],
      minZoom: 0.15,
      maxZoom: 3,
      boxSelectionEnabled: false,
      autoungrabify: false,
    });
    state.cy = cy;
    window.HarmwatchLinkChart = { cy: cy, expand: expand };
    bindChart(cy);

    var chartUrl = "/api/intelligence/chart?entity=" + encodeURIComponent(entity) + "&hops=" + encodeURIComponent(state.hops);
    var pathUrl = to ? "/api/intelligence/path?from=" + encodeURIComponent(entity) + "&to=" + encodeURIComponent(to) : null;
    var chartRequest = getJSON(chartUrl).catch(function (error) { showError(error, "The chart could not be drawn"); return null; });
    var pathRequest = pathUrl
      ? getJSON(pathUrl).catch(function (error) { showError(error, "The path could not be found"); return null; })
      : Promise.resolve(null);

    return Promise.all([chartRequest, pathRequest]).then(function (answers) {
      var chart = answers[0];
      var path = answers[1];
      if (!chart && !path) {
        failed(container);
        pathFailed();
        return;
      }
      var base = chart || path.chart;
      state.title = base.title;
      state.generatedBy = base.generated_by;
      state.generatedAt = base.generated_at;
      if (chart) merge(chart);
      if (path) {
        merge(path.chart);
        state.path = path;
        if (chart) state.title = chart.title + "; " + path.chart.title;
      }
      var heading = $("link-chart-heading");
      if (heading) heading.textContent = "Chart: " + state.title;
      cy.getElementById(state.root).addClass("root");
      seedPositions(Boolean(chart));
      runLayout();
      highlightPath();
      renderConditions();
      renderNotes();
      if (path) {
        renderPath();
        pathChoice();
      } else if (to) {
        pathFailed();
      }
      renderText();
      enableButtons();
      setStatus("Chart drawn: " + plural(cy.nodes().length, "entity", "entities") + ", " + plural(cy.edges().length, "link", "links") + ".");
      container.dataset.ready = "1";
    });
  }

  // Nothing to draw: the messages stay; the buttons and tables go and the frame shrinks (it
  // stays visible, so a wait for "#link-chart[data-ready]" still sees it).
  function failed(container) {
    container.dataset.ready = "error";
    container.classList.add("lc-failed");
    container.setAttribute("aria-label", "Link chart: nothing could be drawn");
    setStatus("");
    var actions = document.querySelector(".link-chart-actions");
    if (actions) actions.hidden = true;
    var summary = $("link-chart-summary");
    if (summary) summary.hidden = true;
    var text = $("chart-text");
    if (text) text.hidden = true;
  }

  function pathFailed() {
    var summary = $("path-summary");
    var table = $("path-hops");
    if (summary) summary.textContent = "The path could not be found: see the message above the chart.";
    if (table) table.parentNode.hidden = true;
  }

  function submitLabel() {
    var to = $("chart-to");
    var button = $("chart-submit");
    if (!to || !button) return;
    to.addEventListener("change", function () {
      button.textContent = to.value ? "Find path" : "Show chart";
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    submitLabel();
    var container = $("link-chart");
    if (!container) return;
    if (typeof cytoscape === "undefined") {
      showError(new Error("the chart library did not load"), "The chart could not be drawn");
      failed(container);
      return;
    }
    start(container).catch(function (error) {
      showError(error, "The chart could not be drawn");
      failed(container);
    });
  });
})();
