/* fieldapp map: a territory shape being drawn or edited, and shapes waiting as drafts.
 *
 * A shape starts from the map's own lasso (fieldapp-map.js) or from a territory's
 * polygon; the app hands its corners to fieldappDraw.edit(). Each corner is then a
 * handle to drag; a click on the shape's edge adds a corner there, a right-click
 * (or double-click) on a corner removes it. The app reads the corners back with
 * fieldappDraw.ring() when the admin saves. Plain Leaflet: no plugin, nothing online.
 */
(function () {
  "use strict";
  var ring = [], shape = null, handles = [], drafts = null;

  function map() { return window.fieldappState && window.fieldappState.map; }

  function handleIcon() {
    return L.divIcon({className: "fa-corner", iconSize: [12, 12], iconAnchor: [6, 6]});
  }

  function clear() {
    var m = map();
    if (m) {
      handles.forEach(function (h) { m.removeLayer(h); });
      if (shape) { m.removeLayer(shape); }
    }
    handles = [];
    shape = null;
    ring = [];
  }

  function draw() {
    var m = map();
    if (!m) { return; }
    handles.forEach(function (h) { m.removeLayer(h); });
    handles = [];
    if (shape) { shape.setLatLngs(ring); } else {
      shape = L.polygon(ring, {color: "#d0302f", weight: 3, dashArray: "6 4", fillOpacity: 0.12});
      shape.on("click", function (e) { L.DomEvent.stop(e); addCorner(e.latlng); });
      shape.addTo(m);
    }
    ring.forEach(function (p, i) {
      var h = L.marker(p, {icon: handleIcon(), draggable: true, zIndexOffset: 2000,
                           title: "Drag to move this corner; right-click to remove it"});
      h.on("drag", function (e) {
        var ll = e.target.getLatLng();
        ring[i] = [ll.lat, ll.lng];
        shape.setLatLngs(ring);
      });
      h.on("contextmenu dblclick", function (e) { L.DomEvent.stop(e); removeCorner(i); });
      h.addTo(m);
      handles.push(h);
    });
  }

  // The new corner goes into the edge nearest the click.
  function addCorner(ll) {
    var best = 0, bestD = Infinity, m = map();
    var p = m.latLngToLayerPoint(ll);
    for (var i = 0; i < ring.length; i++) {
      var a = m.latLngToLayerPoint(ring[i]);
      var b = m.latLngToLayerPoint(ring[(i + 1) % ring.length]);
      var d = L.LineUtil.pointToSegmentDistance(p, a, b);
      if (d < bestD) { bestD = d; best = i; }
    }
    ring.splice(best + 1, 0, [ll.lat, ll.lng]);
    draw();
  }

  function removeCorner(i) {
    if (ring.length <= 3) { return; }
    ring.splice(i, 1);
    draw();
  }

  window.fieldappDraw = {
    /* Show ``corners`` ([[lat, lon], …]) as the shape being edited; how many corners. */
    edit: function (corners, fit) {
      clear();
      ring = corners.map(function (p) { return [p[0], p[1]]; });
      draw();
      if (fit && shape && map()) { map().fitBounds(shape.getBounds(), {maxZoom: 15, padding: [24, 24]}); }
      return ring.length;
    },
    /* The corners as they are now, as JSON (null when nothing is being drawn). */
    ring: function () { return ring.length ? JSON.stringify(ring) : null; },
    moveCorner: function (i, lat, lon) {
      if (i < 0 || i >= ring.length) { return false; }
      ring[i] = [lat, lon];
      draw();
      return true;
    },
    addCorner: function (lat, lon) { addCorner(L.latLng(lat, lon)); return ring.length; },
    removeCorner: function (i) { removeCorner(i); return ring.length; },
    clear: function () { clear(); return true; },
    /* Shapes of territory changes not yet sent: [{name, ring}], outlined in grey. */
    drafts: function (list) {
      var m = map();
      if (!m) { return 0; }
      if (drafts) { m.removeLayer(drafts); }
      drafts = L.layerGroup(list.map(function (d) {
        return L.polygon(d.ring, {color: "#555", weight: 2, dashArray: "2 6", fillOpacity: 0.04,
                                  interactive: false}).bindTooltip(d.name + " (not yet sent)");
      })).addTo(m);
      return list.length;
    },
    corners: function () { return ring.length; },
    /* Bring ``corners`` ([[lat, lon], …]: a territory's outline) into view. */
    fit: function (corners) {
      var m = map();
      if (!m || corners.length < 3) { return false; }
      m.fitBounds(L.latLngBounds(corners), {maxZoom: 15, padding: [24, 24]});
      return true;
    }
  };
})();
