/* fieldapp map: markers from JSON rows, clusters, territories, route, lasso.
 *
 * No marker exists on the Python side: the page gets a compact array
 * [id, lat, lon, name, category, approximate] per account and this script makes
 * the Leaflet markers (one shared icon per category) and adds them to a
 * MarkerClusterGroup. The rows come either with the page (data.markers: an exported
 * file) or streamed from the app (data.feed: the page opens with the base map, asks
 * for the legend and view ("meta"), then for batches of rows until the last one;
 * the map is usable meanwhile). Talks to the app through window.fieldappBridge when
 * the app provides one (QWebChannel); works without it in a plain browser.
 */
(function () {
  "use strict";

  function esc(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }

  function pointInPolygon(lat, lon, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var yi = ring[i][0], xi = ring[i][1], yj = ring[j][0], xj = ring[j][1];
      if ((yi > lat) !== (yj > lat) && lon < (xj - xi) * (lat - yi) / (yj - yi) + xi) {
        inside = !inside;
      }
    }
    return inside;
  }

  function init(map, data) {
    if (data.feed) { return stream(map, data.feed); }
    var shown = setup(map, data);
    shown.add(data.markers, function () { shown.finish(); });
  }

  /* Streamed: meta first, then batch 0, 1, … each added before the next is asked for. */
  function stream(map, feed) {
    var note = status(map, "Loading accounts…");
    function get(name) {
      return fetch(feed + name).then(function (r) { return r.json(); });
    }
    function failed(message) { note.say(message); }
    get("meta").then(function (meta) {
      if (meta.error) { return failed(meta.error); }
      meta.markers = [];
      var shown = setup(map, meta);
      var total = meta.total || 0;
      function next(i) {
        get(String(i)).then(function (part) {
          if (part.error) { return failed(part.error); }
          shown.add(part.rows, function (loaded) {
            note.say("Loading accounts… " + loaded.toLocaleString("en") + " of " +
              Math.max(total, loaded).toLocaleString("en"));
            if (part.more) { next(i + 1); } else { note.remove(); shown.finish(); }
          });
        }, function () { failed("The accounts could not be loaded; reopen the map."); });
      }
      next(0);
    }, function () { failed("The accounts could not be loaded; reopen the map."); });
  }

  /* A small box bottom right saying what the map is waiting for. */
  function status(map, message) {
    var box = null;
    var ctl = L.control({position: "bottomright"});
    ctl.onAdd = function () {
      box = L.DomUtil.create("div", "fa-status");
      box.textContent = message;
      return box;
    };
    ctl.addTo(map);
    return {
      say: function (text) { box.textContent = text; },
      remove: function () { ctl.remove(); }
    };
  }

  /* Everything but the markers; returns {add(rows, done), finish()}. */
  function setup(map, data) {
    // markercluster needs a maximum zoom, which a map without tile layer lacks.
    if (map.options.maxZoom === undefined) { map.options.maxZoom = 19; }
    // Clusters are built for every zoom level from max to min: a rep never needs
    // the whole world, and each level saved is ~5% of the load time at 20k accounts.
    map.setMinZoom(4);
    var t0 = performance.now();
    var state = {
      ready: false, markerCount: 0, selected: [], clicked: [], actions: [], highlighted: [],
      timings: {}, total: data.total || data.markers.length, batches: 0
    };
    window.fieldappState = state;
    function pinIcon(cat, approx, chosen) {
      return L.divIcon({
        className: "fa-pin" + (approx ? " fa-approx" : "") + (chosen ? " fa-selected" : ""),
        html: '<span style="background:' + cat.color + '"></span>',
        iconSize: chosen ? [20, 20] : [14, 14],
        iconAnchor: chosen ? [10, 10] : [7, 7],
        popupAnchor: [0, -7]
      });
    }
    var chosenIcons = data.categories.map(function (cat) {
      return [pinIcon(cat, false, true), pinIcon(cat, true, true)];
    });
    var icons = data.categories.map(function (cat) {
      return [false, true].map(function (approx) {
        return L.divIcon({
          className: "fa-pin" + (approx ? " fa-approx" : ""),
          html: '<span style="background:' + cat.color + '"></span>',
          iconSize: [14, 14],
          iconAnchor: [7, 7],
          popupAnchor: [0, -7]
        });
      });
    });
    var adding = null;  // the done() of the batch being clustered
    var cluster = L.markerClusterGroup({
      // Each batch is clustered in slices of ~30 ms with a pause between them, so the
      // map keeps panning and answering clicks while 100k markers go in.
      chunkedLoading: true,
      chunkInterval: 30,
      chunkDelay: 10,
      chunkProgress: function (processed, total) {
        if (processed === total && adding) {
          var done = adding;
          adding = null;
          // After markercluster's own refresh, which follows this call.
          setTimeout(function () { done(state.markerCount); }, 0);
        }
      },
      showCoverageOnHover: false,
      maxClusterRadius: 60,
      disableClusteringAtZoom: 16,
      // A cluster wears the colour of the legend it stands for: with a ranked legend
      // (days since the last visit) its worst member's, so one account never visited
      // is not hidden in a green cluster; otherwise its most common member's.
      iconCreateFunction: function (c) {
        var kids = c.getAllChildMarkers(), counts = {}, pick = -1, most = 0;
        for (var j = 0; j < kids.length; j++) {
          var k = kids[j].fieldappCat;
          if (data.ranked) { if (k > pick) { pick = k; } continue; }
          counts[k] = (counts[k] || 0) + 1;
          if (counts[k] > most) { most = counts[k]; pick = k; }
        }
        var cat = data.categories[pick] || {color: "#888", label: ""};
        var n = c.getChildCount();
        var size = n < 100 ? 34 : (n < 1000 ? 40 : 46);
        return L.divIcon({
          className: "fa-cluster",
          html: '<div style="background:' + cat.color + '" title="' + esc(cat.label) + '">' +
            "<span>" + n + "</span></div>",
          iconSize: [size, size]
        });
      }
    });
    var byId = {}, index = {};
    var rows = [];
    function makeMarkers(batch) {
      var made = new Array(batch.length);
      for (var i = 0; i < batch.length; i++) {
        var r = batch[i];
        var m = L.marker([r[1], r[2]], {
          icon: icons[r[4]][r[5] ? 1 : 0],
          title: r[3],
          draggable: !!data.draggable
        });
        m.fieldappId = r[0];
        m.fieldappCat = r[4];
        made[i] = m;
        byId[r[0]] = m;
        index[r[0]] = r;
        rows.push(r);
      }
      return made;
    }
    // A click on a pin stays on the map: a popup offers what to do with the account.
    var ACTIONS = [["open", "Open"], ["route", "Add to route"], ["checkin", "Check in"]];
    function act(action, id) {
      state.actions.push([action, id]);
      var bridge = window.fieldappBridge;
      if (!bridge) { return; }
      if (action === "open") { bridge.accountActivated(id); }
      if (action === "route") { bridge.addToRoute(id); }
      if (action === "checkin") { bridge.checkInAt(id); }
      map.closePopup();
    }
    window.fieldappAct = act;
    cluster.on("click", function (ev) {
      var m = ev.layer, id = m.fieldappId, row = rowOf(id);
      state.clicked.push(id);
      if (!row) { return; }
      var box = L.DomUtil.create("div", "fa-popup");
      box.innerHTML = "<b>" + esc(row[3]) + "</b><br>" + esc(data.categories[row[4]].label) +
        (row[5] ? "<br><i>approximate position</i>" : "") + "<br>";
      ACTIONS.forEach(function (a) {
        var button = L.DomUtil.create("button", "fa-act", box);
        button.type = "button";
        button.textContent = a[1];
        button.dataset.action = a[0];
        L.DomEvent.on(button, "click", function (e) { L.DomEvent.stop(e); act(a[0], id); });
      });
      L.popup().setLatLng(m.getLatLng()).setContent(box).openOn(map);
    });
    cluster.on("dragend", function (ev) {
      var ll = ev.layer.getLatLng();
      if (window.fieldappBridge) {
        window.fieldappBridge.markerMoved(ev.layer.fieldappId, ll.lat, ll.lng);
      }
    });
    function rowOf(id) { return index[id]; }
    showInitialView(map, data);
    map.addLayer(cluster);
    state.cluster = cluster;
    state.map = map;

    (data.territories || []).forEach(function (t) {
      L.geoJSON(t.geometry, {
        style: {color: t.color || "#3355aa", weight: 2, fillOpacity: 0.05, interactive: false}
      }).bindTooltip(t.name).addTo(map);
    });

    if (data.route && data.route.points.length > 1) {
      L.polyline(data.route.points, {color: "#d03030", weight: 4, opacity: 0.8}).addTo(map);
      data.route.stops.forEach(function (s) {
        L.marker([s.lat, s.lon], {
          icon: L.divIcon({className: "fa-stop", html: String(s.position), iconSize: [22, 22]}),
          zIndexOffset: 1000,
          title: s.position + ". " + s.name + " " + s.time
        }).addTo(map);
      });
    }

    if (data.categories.length) {
      var legend = L.control({position: "bottomleft"});
      legend.onAdd = function () {
        var div = L.DomUtil.create("div", "fa-legend");
        div.innerHTML = "<b>" + esc(data.colorByLabel) + "</b><br>" + data.categories.map(
          function (c) { return '<i style="background:' + c.color + '"></i>' + esc(c.label); }
        ).join("<br>");
        return div;
      };
      legend.addTo(map);
    }

    // Lasso: press the button, then drag a shape around the accounts. The page picks
    // the markers it shows (the app keeps no copy of them) and tells the app both the
    // shape (the Admin map draws territories with it) and what it caught.
    function select(ring) {
      var ids = [];
      for (var k = 0; k < rows.length; k++) {
        if (pointInPolygon(rows[k][1], rows[k][2], ring)) { ids.push(rows[k][0]); }
      }
      state.selected = ids;
      window.fieldappHighlight(ids);
      if (window.fieldappBridge) {
        window.fieldappBridge.lassoFinished(JSON.stringify(ring));
        window.fieldappBridge.lassoSelected(JSON.stringify(ids));
      }
      return ids;
    }
    window.fieldappLasso = select;
    // The lassoed accounts stand out (larger, ringed) until the next selection.
    var lit = [];
    window.fieldappHighlight = function (ids) {
      lit.forEach(function (id) {
        var m = byId[id], row = rowOf(id);
        if (m && row) { m.setIcon(icons[row[4]][row[5] ? 1 : 0]); }
      });
      lit = ids.filter(function (id) { return !!byId[id]; });
      lit.forEach(function (id) {
        var row = rowOf(id);
        byId[id].setIcon(chosenIcons[row[4]][row[5] ? 1 : 0]);
      });
      state.highlighted = lit.slice();
      return lit.length;
    };
    var lassoOn = false, drawing = null, points = [];
    var lassoCtl = L.control({position: "topleft"});
    lassoCtl.onAdd = function () {
      var a = L.DomUtil.create("a", "fa-lasso leaflet-bar");
      a.href = "#";
      a.title = "Lasso: drag around accounts to select them";
      a.innerHTML = "&#9711;";
      L.DomEvent.on(a, "click", function (e) {
        L.DomEvent.stop(e);
        lassoOn = !lassoOn;
        a.classList.toggle("fa-on", lassoOn);
        if (lassoOn) { map.dragging.disable(); } else { map.dragging.enable(); }
      });
      return a;
    };
    lassoCtl.addTo(map);
    map.on("mousedown", function (e) {
      if (!lassoOn) { return; }
      points = [[e.latlng.lat, e.latlng.lng]];
      drawing = L.polyline(points, {color: "#222", dashArray: "4 4"}).addTo(map);
    });
    map.on("mousemove", function (e) {
      if (!drawing) { return; }
      points.push([e.latlng.lat, e.latlng.lng]);
      drawing.setLatLngs(points);
    });
    map.on("mouseup", function () {
      if (!drawing) { return; }
      map.removeLayer(drawing);
      drawing = null;
      if (points.length > 2) { select(points); }
    });

    window.fieldappView = function () {
      var b = map.getBounds();
      return [b.getSouth(), b.getWest(), b.getNorth(), b.getEast(), map.getZoom()];
    };
    // The app keeps the view across page reloads (a new colour, an edited account):
    // every move is reported, and the next page opens where this one was left.
    window.fieldappReportView = function () {
      if (!window.fieldappBridge || !window.fieldappBridge.viewChanged) { return; }
      var c = map.getCenter();
      window.fieldappBridge.viewChanged(JSON.stringify(
        {generation: (data.view || {}).generation, center: [c.lat, c.lng], zoom: map.getZoom()}
      ));
    };
    map.on("moveend", window.fieldappReportView);
    window.fieldappFocus = function (id) {
      var m = byId[id];
      if (m) { cluster.zoomToShowLayer(m, function () { m.openPopup && m.openPopup(); }); }
      return !!m;
    };
    state.usable = true;  // panning, clicks, lasso: before the markers are all in
    state.timings.setup = performance.now() - t0;
    return {
      add: function (batch, done) {
        var made = makeMarkers(batch);
        state.markerCount += made.length;
        state.batches += 1;
        adding = function (loaded) {
          state.timings["batch" + state.batches] = performance.now() - t0;
          if (window.fieldappBridge && window.fieldappBridge.markersLoaded) {
            window.fieldappBridge.markersLoaded(loaded, Math.max(state.total, loaded));
          }
          done(loaded);
        };
        if (made.length) { cluster.addLayers(made); } else { adding(state.markerCount); }
      },
      finish: function () {
        state.timings.total = performance.now() - t0;
        state.ready = true;
        document.dispatchEvent(new Event("fieldapp-ready"));
        if (window.fieldappBridge) {
          window.fieldappReportView();
          window.fieldappBridge.mapReady(state.markerCount);
        }
      }
    };
  }

  /* Where the page opens: data.view.fit (bounds: a newly planned route), else
   * data.view.center and zoom (where the user left the previous page), else every
   * account and the route. A container without a size yet (a panel still being laid
   * out) would give a useless zoom, so the view is set once it has one. */
  function showInitialView(map, data) {
    var v = data.view || {};
    var size = map.getSize();
    if (size.x === 0 || size.y === 0) {
      map.once("resize", function () { showInitialView(map, data); });
      return;
    }
    if (v.fit) {
      map.fitBounds(v.fit, {maxZoom: 16, padding: [24, 24]});
    } else if (v.center) {
      map.setView(v.center, v.zoom);
    } else if (data.bounds) {
      map.fitBounds(data.bounds, {maxZoom: 15});
    }
  }

  window.fieldappMap = {init: init, pointInPolygon: pointInPolygon};
})();
