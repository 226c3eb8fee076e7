/* Place names on the maps: GeoNames towns and villages (CC BY 4.0), drawn as text labels on the
 * plain background (no tiles, nothing fetched from outside this app). Each label appears from the
 * zoom of its place's tier (the layer's min_zoom: towns always, large villages from a district's
 * scale, every place from a town's), larger places first, and a label that would overlap a larger
 * place's is hidden, so the map never crowds. Loaded as a file: the CSP forbids inline scripts. */
(function () {
  "use strict";

  var CREDIT = "Place names: GeoNames, CC BY 4.0";
  var TOWN = 15000;

  function overlaps(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }

  function isPlace(feature) {
    return feature.geometry && feature.geometry.type === "Point" && feature.properties.kind === "place";
  }

  // Adds the places among `features` (GeoJSON features) to `map`; returns the layer, or null.
  function addTo(map, features) {
    var places = (features || []).filter(isPlace).sort(function (a, b) {
      return (b.properties.population || 0) - (a.properties.population || 0);
    });
    if (!places.length) return null;
    var group = L.layerGroup();
    var markers = places.map(function (f) {
      var name = document.createElement("span");
      name.className = "hw-place-name";
      name.textContent = f.properties.name; // text, never HTML
      var coords = f.geometry.coordinates;
      var marker = L.marker([coords[1], coords[0]], {
        icon: L.divIcon({
          className: "hw-place" + ((f.properties.population || 0) >= TOWN ? " hw-place-town" : ""),
          html: name,
          iconSize: null,
          iconAnchor: [3, 8],
        }),
        interactive: false,
        keyboard: false,
      });
      marker.hwMinZoom = f.properties.min_zoom || 0;
      group.addLayer(marker);
      return marker;
    });

    function update() {
      var zoom = map.getZoom();
      // The map's controls (zoom, layers, legend, attribution) and the figures written on it
      // (permanent tooltips: counts on squares) count as taken: no name is drawn over them.
      var shown = Array.prototype.map.call(
        map.getContainer().querySelectorAll(".leaflet-control, .leaflet-tooltip"),
        function (control) { return control.getBoundingClientRect(); }
      );
      markers.forEach(function (marker) {
        var node = marker.getElement();
        if (!node) return;
        node.classList.remove("hw-place-hidden");
        if (zoom < marker.hwMinZoom) {
          node.classList.add("hw-place-hidden");
          return;
        }
        var box = node.getBoundingClientRect();
        if (shown.some(function (other) { return overlaps(other, box); })) {
          node.classList.add("hw-place-hidden");
          return;
        }
        shown.push(box);
      });
    }

    group.on("add", function () {
      map.attributionControl.addAttribution(CREDIT);
      update();
    });
    group.on("remove", function () { map.attributionControl.removeAttribution(CREDIT); });
    map.on("zoomend moveend", function () { if (map.hasLayer(group)) update(); });
    group.addTo(map);
    return group;
  }

  window.HarmwatchPlaces = { addTo: addTo, isPlace: isPlace, CREDIT: CREDIT };
})();
