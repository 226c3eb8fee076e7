/* The evaluation map: target outline, buffer ring, and the crimes in them — as police.uk snap
 * points sized by count, or, for a role that may see aggregates only, as 500 m squares with the
 * small-number rule's counts ("fewer than 5", "withheld") — and place names, drawn as vector
 * layers on a plain background (no tiles, no third-party requests). Loaded as a file: the CSP
 * forbids inline scripts. */
(function () {
  "use strict";

  var STYLE = {
    target: { color: "#c0392b", weight: 2, fillColor: "#c0392b", fillOpacity: 0.08, className: "hw-target" },
    buffer: { color: "#2e86c1", weight: 1.2, dashArray: "5 4", fillColor: "#2e86c1", fillOpacity: 0.05, className: "hw-buffer" },
  };
  var POINT_COLOUR = { "target-points": "#c0392b", "buffer-points": "#2e86c1", "controls-points": "#8a939c" };
  var LABEL = { "target-points": "target", "buffer-points": "buffer", "controls-points": "control LSOA" };

  function isPoint(f) { return f.geometry.type === "Point" && /-points$/.test(f.properties.kind); }
  function isSquare(f) { return f.properties.kind === "square"; }
  function isOutline(f) { return f.properties.kind === "target" || f.properties.kind === "buffer"; }
  function present(value) { return value !== undefined && value !== null && value !== 0; }

  function crimes(value) {
    if (typeof value === "number") return value + " crime" + (value === 1 ? "" : "s");
    return value + " crimes"; // "fewer than 5" or "withheld"
  }

  function squareStyle(f) {
    var p = f.properties;
    if (present(p.target)) {
      return { color: "#c0392b", weight: 1, fillColor: "#c0392b", fillOpacity: 0.35, className: "hw-square hw-square-target" };
    }
    if (present(p.buffer)) {
      return { color: "#2e86c1", weight: 1, fillColor: "#2e86c1", fillOpacity: 0.3, className: "hw-square hw-square-buffer" };
    }
    return { stroke: false, fillColor: "#8a939c", fillOpacity: 0.18, className: "hw-square hw-square-controls" };
  }

  var SHORT = { "fewer than 5": "<5", withheld: "c" };

  // The counts written on a square, as the PNG map writes them: "T 12" target, "B <5" buffer
  // ("<5": fewer than 5; "c": withheld so that a small count cannot be worked out).
  function squareLabel(f) {
    var box = document.createElement("span");
    [["T", f.properties.target], ["B", f.properties.buffer]].forEach(function (pair) {
      if (!present(pair[1])) return;
      var line = document.createElement("span");
      line.className = "hw-square-line hw-square-" + (pair[0] === "T" ? "t" : "b");
      line.textContent = pair[0] + " " + (SHORT[pair[1]] || String(pair[1]));
      line.title = (pair[0] === "T" ? "Target: " : "Buffer: ") + crimes(pair[1]);
      box.appendChild(line);
    });
    return box.childNodes.length ? box : null;
  }

  function draw(node) {
    return fetch(node.dataset.layers, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status + " " + response.statusText);
        return response.json();
      })
      .then(function (layers) {
        var map = L.map(node, { zoomSnap: 0.25, minZoom: 6, maxZoom: 18 });
        map.attributionControl.setPrefix(false);
        map.attributionControl.addAttribution("Crimes: data.police.uk, OGL v3.0");
        L.control.scale({ imperial: false }).addTo(map);
        var areas = L.geoJSON(layers, {
          filter: isOutline,
          style: function (f) { return STYLE[f.properties.kind] || {}; },
          interactive: false,
        }).addTo(map);
        var counts = {};
        var overlays = { "Target and buffer": areas };
        if (layers.disclosure) {
          // Aggregates only: squares with the published counts, never a crime's location.
          overlays["Crimes per 500 m square"] = L.geoJSON(layers, {
            filter: isSquare,
            style: squareStyle,
            onEachFeature: function (f, layer) {
              var label = squareLabel(f);
              if (label) {
                layer.bindTooltip(label, { permanent: true, direction: "center", className: "hw-square-count" });
              }
            },
          }).addTo(map);
          areas.bringToFront();
          counts["target-points"] = layers.totals ? layers.totals.target : 0;
          node.dataset.aggregated = "1";
        } else {
          overlays["Crime locations"] = L.geoJSON(layers, {
            filter: isPoint,
            pointToLayer: function (f, latlng) {
              var kind = f.properties.kind;
              counts[kind] = (counts[kind] || 0) + f.properties.n;
              return L.circleMarker(latlng, {
                radius: Math.min(10, 2.5 + 1.5 * Math.sqrt(f.properties.n)),
                color: POINT_COLOUR[kind] || "#333333",
                weight: 0.5,
                fillOpacity: kind === "controls-points" ? 0.35 : 0.75,
                className: "hw-" + kind,
              }).bindTooltip(f.properties.n + " crime" + (f.properties.n === 1 ? "" : "s") + " (" + (LABEL[kind] || kind) + ")");
            },
          }).addTo(map);
        }
        map.fitBounds(areas.getBounds(), { padding: [20, 20] });
        if (window.HarmwatchPlaces) {
          var places = window.HarmwatchPlaces.addTo(map, layers.features);
          if (places) overlays["Towns and villages"] = places;
        }
        L.control.layers(null, overlays, { collapsed: true }).addTo(map);
        // The map is one tab stop (arrow keys pan it, + and - zoom): the points' and
        // squares' tooltips are not stops of their own, or a keyboard user would tab
        // through hundreds of them; their figures are in the tables beside the map.
        node.querySelectorAll(".leaflet-overlay-pane .leaflet-interactive").forEach(function (shape) {
          shape.setAttribute("tabindex", "-1");
        });
        node.dataset.targetCrimes = String(counts["target-points"] || 0);
        node.dataset.ready = "1";
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var node = document.getElementById("eval-map");
    if (!node || typeof L === "undefined") return;
    draw(node).catch(function (error) {
      var box = document.createElement("div");
      box.className = "alert alert-error";
      box.setAttribute("role", "alert");
      box.textContent = "The map could not be drawn: " + error.message;
      node.parentNode.insertBefore(box, node);
      node.dataset.ready = "error";
    });
  });
})();
