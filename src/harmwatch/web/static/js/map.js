/* The hotspot map: grid cells, Gi* classes, study area, districts, patrol zones, a user's
 * boundary and place names (GeoNames, through places.js), drawn as vector layers on a plain
 * background. No tiles and no third-party requests:
 * every layer comes from this app's API. Loaded as a file (the CSP forbids inline scripts). */
(function () {
  "use strict";

  var HOT = "#c0392b";
  var COLD = "#2e86c1";
  var HOT_EDGE = "#5a0d05";
  var COLD_EDGE = "#0b2f4a";
  var NOT_SIGNIFICANT = "#c9d1d9";
  var RAMP = ["#fee8c8", "#fdbb84", "#fc8d59", "#e34a33", "#b30000"];
  var ZONE = "#12326b";
  var BOUNDARY = "#7b3294";

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          return response.json().then(
            function (body) { throw new Error(body.detail || response.statusText); },
            function () { throw new Error(response.status + " " + response.statusText); }
          );
        }
        return response.json();
      });
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function fmt(value, digits) {
    if (value === null || value === undefined) return "—";
    if (typeof value !== "number") return String(value);
    if (Number.isInteger(value)) return value.toLocaleString("en-GB");
    return value.toLocaleString("en-GB", { maximumSignificantDigits: digits || 3 });
  }

  function quantileBreaks(values, k) {
    var sorted = values.filter(function (v) { return v > 0; }).sort(function (a, b) { return a - b; });
    var breaks = [];
    for (var i = 1; i < k; i++) {
      breaks.push(sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((i * sorted.length) / k))] : 0);
    }
    return breaks;
  }

  function classOf(value, breaks) {
    var i = 0;
    while (i < breaks.length && value > breaks[i]) i++;
    return i;
  }

  function cellPopup(props, method) {
    var box = el("div", "popup");
    box.appendChild(el("strong", null, method === "gistar" ? props["class"] : "Cell"));
    var rows = [["crimes", props.n], ["centre (BNG)", fmt(props.x, 7) + ", " + fmt(props.y, 7)]];
    if (props.kde !== undefined) rows.push(["KDE (per km²)", fmt(props.kde)]);
    if (props.gistar !== undefined) {
      rows.push(["Gi* z", fmt(props.gistar)]);
      rows.push(["p (adjusted)", fmt(props.pvalue_adj)]);
    }
    var list = el("dl");
    rows.forEach(function (row) {
      list.appendChild(el("dt", null, row[0]));
      list.appendChild(el("dd", null, String(row[1])));
    });
    box.appendChild(list);
    return box;
  }

  function legendControl(method, breaks, counts) {
    var control = L.control({ position: "bottomright" });
    control.onAdd = function () {
      var box = el("div", "map-legend");
      function item(swatch, label) {
        var row = el("div", "legend-row");
        row.appendChild(el("span", "swatch " + swatch));
        row.appendChild(el("span", null, label));
        box.appendChild(row);
      }
      if (method === "gistar") {
        box.appendChild(el("div", "legend-title", "Getis-Ord Gi*"));
        item("sw-hot", "Hot spot (" + fmt(counts.hot) + " cells)");
        item("sw-cold", "Cold spot (" + fmt(counts.cold) + " cells)");
        item("sw-ns", "Not significant, with crimes");
      } else {
        box.appendChild(el("div", "legend-title", method === "kde" ? "Crimes per km² (KDE)" : "Crimes per cell"));
        var lower = 0;
        for (var i = 0; i < RAMP.length; i++) {
          var upper = i < breaks.length ? breaks[i] : null;
          item("sw-q" + i, upper === null ? "over " + fmt(lower) : fmt(lower) + " – " + fmt(upper));
          if (upper !== null) lower = upper;
        }
      }
      item("sw-zone", "Patrol zone");
      item("sw-area", "Study area");
      return box;
    };
    return control;
  }

  function draw(node) {
    var method = node.dataset.method;
    var map = L.map(node, { zoomSnap: 0.25, zoomDelta: 0.5, minZoom: 6, maxZoom: 18 });
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution(
      "Crimes: data.police.uk, OGL v3.0 · Boundaries: ONS, OGL v3.0, © Crown copyright 2024"
    ); // place names add their own credit (GeoNames, CC BY 4.0) when drawn
    L.control.scale({ imperial: false }).addTo(map);

    var requests = [
      getJSON(node.dataset.area),
      getJSON(node.dataset.cells),
      // No plan (a budget that could not be used): no layer, and no request for one.
      node.dataset.zones ? getJSON(node.dataset.zones).catch(function () { return null; }) : Promise.resolve(null),
      node.dataset.boundary ? getJSON(node.dataset.boundary) : Promise.resolve(null),
    ];
    return Promise.all(requests).then(function (layers) {
      var area = layers[0], cells = layers[1], zones = layers[2], boundary = layers[3];
      var studyFill = L.geoJSON(area, {
        filter: function (f) { return f.properties.kind === "study-area"; },
        style: { stroke: false, fillColor: "#ffffff", fillOpacity: 1, className: "hw-land" },
        interactive: false,
      }).addTo(map);

      var counts = { hot: 0, cold: 0 };
      var values = cells.features.map(function (f) {
        return method === "kde" ? f.properties.kde : f.properties.n;
      });
      var breaks = method === "gistar" ? [] : quantileBreaks(values, RAMP.length);
      var cellLayer = L.geoJSON(cells, {
        style: function (f) {
          var p = f.properties;
          if (method === "gistar") {
            // Hot and cold are told apart by their outline (solid, dashed) as well as
            // colour, so the map reads in greyscale and for colour-blind readers.
            if (p["class"] === "hot spot") {
              counts.hot++;
              return { stroke: true, color: HOT_EDGE, weight: 1.5, fillColor: HOT, fillOpacity: 0.85, className: "hw-cell hw-hot" };
            }
            if (p["class"] === "cold spot") {
              counts.cold++;
              return { stroke: true, color: COLD_EDGE, weight: 1.5, dashArray: "3 2", fillColor: COLD, fillOpacity: 0.75, className: "hw-cell hw-cold" };
            }
            return { stroke: false, fillColor: NOT_SIGNIFICANT, fillOpacity: 0.7, className: "hw-cell hw-ns" };
          }
          var q = classOf(method === "kde" ? p.kde : p.n, breaks);
          return { stroke: false, fillColor: RAMP[q], fillOpacity: 0.85, className: "hw-cell hw-q" + q };
        },
        onEachFeature: function (f, layer) {
          layer.bindPopup(function () { return cellPopup(f.properties, method); });
        },
      }).addTo(map);

      var districts = L.geoJSON(area, {
        filter: function (f) { return f.properties.kind === "district"; },
        style: { color: "#6b7785", weight: 0.8, fill: false, className: "hw-district" },
        onEachFeature: function (f, layer) { layer.bindTooltip(f.properties.name, { sticky: true }); },
      }).addTo(map);
      var outline = L.geoJSON(area, {
        filter: function (f) { return f.properties.kind === "study-area"; },
        style: { color: "#1b2733", weight: 2, fill: false, className: "hw-study-area" },
        interactive: false,
      }).addTo(map);

      var overlays = { "Cells": cellLayer, "Districts": districts, "Study area outline": outline };
      if (zones && zones.features) {
        var zoneLayer = L.geoJSON(zones, {
          style: { color: ZONE, weight: 2.5, fill: true, fillOpacity: 0, className: "hw-zone" },
          onEachFeature: function (f, layer) {
            var p = f.properties;
            layer.bindTooltip(
              "Zone " + p.zone + ": " + fmt(p.crimes) + " crimes, " + fmt(p.cells) + " cells, PAI " + fmt(p.pai)
            );
          },
        }).addTo(map);
        overlays["Patrol zones"] = zoneLayer;
      }
      if (boundary) {
        overlays["Uploaded boundary"] = L.geoJSON(boundary, {
          style: { color: BOUNDARY, weight: 2, dashArray: "6 4", fill: false, className: "hw-boundary" },
        }).addTo(map);
      }
      var control = L.control.layers(null, overlays, { collapsed: true, position: "topright" }).addTo(map);
      legendControl(method, breaks, counts).addTo(map);
      map.fitBounds(studyFill.getBounds(), { padding: [12, 12] });
      node.dataset.hotCells = String(counts.hot);
      node.dataset.ready = "1";
      return placeNames(map, studyFill.getBounds(), control).then(function () {
        node.dataset.places = "1";
      });
    });
  }

  // Town and village names (GeoNames) around the study area, from this app's gazetteer route.
  // A map without them is still a map: a failure leaves the labels off, not the page broken.
  function placeNames(map, bounds, control) {
    if (!window.HarmwatchPlaces || !bounds.isValid()) return Promise.resolve();
    var box = bounds.pad(0.15);
    var bbox = [box.getWest(), box.getSouth(), box.getEast(), box.getNorth()].map(function (v) {
      return v.toFixed(4);
    }).join(",");
    return getJSON("/api/places?bbox=" + encodeURIComponent(bbox))
      .then(function (layer) {
        var places = window.HarmwatchPlaces.addTo(map, layer.features);
        if (places) control.addOverlay(places, "Towns and villages");
      })
      .catch(function () { return null; });
  }

  function showError(node, error) {
    var box = el("div", "alert alert-error map-error", "The map could not be drawn: " + error.message);
    box.setAttribute("role", "alert");
    node.parentNode.insertBefore(box, node);
    node.dataset.ready = "error";
  }

  function boundaryForm() {
    var form = document.getElementById("boundary-form");
    if (!form) return;
    var status = document.getElementById("boundary-status");
    var token = document.querySelector('meta[name="csrf-token"]').content;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      status.textContent = "Uploading…";
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { "X-CSRF-Token": token, Accept: "application/json" },
      })
        .then(function (response) {
          return response.json().then(function (body) {
            if (!response.ok) throw new Error(body.detail || response.statusText);
            return body;
          });
        })
        .then(function (info) {
          var params = new URLSearchParams(window.location.search);
          params.set("boundary", info.id);
          window.location.search = params.toString();
        })
        .catch(function (error) {
          status.textContent = "Refused: " + error.message;
        });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    boundaryForm();
    var node = document.getElementById("map");
    if (!node || typeof L === "undefined") return;
    draw(node).catch(function (error) { showError(node, error); });
  });
})();
