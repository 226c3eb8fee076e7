/* The evaluation map: target outline, buffer ring and crime locations, drawn as vector layers
 * on a plain background (no tiles, no third-party requests). Loaded as a file: the CSP forbids
 * inline scripts. */
(function () {
  "use strict";

  var STYLE = {
    target: { color: "#c0392b", weight: 2, fillColor: "#c0392b", fillOpacity: 0.08, className: "hw-target" },
    buffer: { color: "#2e86c1", weight: 1.2, dashArray: "5 4", fillColor: "#2e86c1", fillOpacity: 0.05, className: "hw-buffer" },
  };
  var POINT_COLOUR = { "target-points": "#c0392b", "buffer-points": "#2e86c1", "controls-points": "#8a939c" };
  var LABEL = { "target-points": "target", "buffer-points": "buffer", "controls-points": "control LSOA" };

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
          filter: function (f) { return f.geometry.type !== "Point"; },
          style: function (f) { return STYLE[f.properties.kind] || {}; },
          interactive: false,
        }).addTo(map);
        var counts = {};
        var points = L.geoJSON(layers, {
          filter: function (f) { return f.geometry.type === "Point"; },
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
        L.control.layers(null, { "Target and buffer": areas, "Crime locations": points }, { collapsed: true }).addTo(map);
        map.fitBounds(areas.getBounds(), { padding: [20, 20] });
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
