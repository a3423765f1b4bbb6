/* The public map: the requests in view from GET /citizen/v1/map, fetched as the map moves,
 * grouped into numbered clusters where pins crowd, each pin linking to its status page; the same
 * requests listed under the map for screen readers and keyboards. ?lat=&long=&zoom= choose the
 * view; otherwise the town's centre. */
(function () {
  "use strict";
  var T = window.T311;
  var I18N = window.I18N;
  var t = I18N.t;
  var el = T.el;
  var L = window.L;

  /** Below this zoom a view touches more map cells than one answer reads. */
  var MIN_ZOOM = 13;
  /** Pins closer than this many pixels on screen are drawn as one cluster. */
  var CLUSTER_PX = 48;
  var WAIT_MS = 300;

  var box = document.getElementById("requests-map");
  var list = document.getElementById("map-list");
  var count = document.getElementById("list-count");
  var state = document.getElementById("map-state");
  var showClosed = document.getElementById("show-closed");

  var map = null;
  var layer = null;
  var features = [];
  var truncated = false;
  var loaded = false;
  var asked = 0;
  var timer = null;
  var drawnKey = null;
  var loads = 0;
  var openId = null;

  function param(name) {
    var value = new URLSearchParams(window.location.search).get(name);
    var number = value === null || value === "" ? NaN : Number(value);
    return isFinite(number) ? number : null;
  }

  function startView() {
    var lat = param("lat");
    var long = param("long");
    var zoom = param("zoom");
    if (lat !== null && long !== null && Math.abs(lat) <= 90 && Math.abs(long) <= 180) {
      return { center: [lat, long], zoom: zoom !== null ? Math.min(Math.max(zoom, 2), 19) : 16 };
    }
    var center = T.config.map_center;
    return center ? { center: center.slice(0, 2), zoom: 14 } : { center: [0, 0], zoom: 2 };
  }

  /** The features the page shows: open ones, and the recently closed when asked for. */
  function shown() {
    return features.filter(function (f) {
      return showClosed.checked || f.properties.status !== "closed";
    });
  }

  function statusLink(f) {
    return "/status?id=" + encodeURIComponent(f.properties.id);
  }

  function label(f) {
    return t("map.pin", { id: f.properties.id, service: f.properties.service_name, state: t("state." + f.properties.status) });
  }

  function popup(f) {
    return el("div", { class: "map-popup" }, [
      el("p", {}, [el("strong", { text: f.properties.service_name })]),
      el("p", { text: t("state." + f.properties.status) + " · " + t("map.reported", { when: T.dateTime(f.properties.requested_datetime) }) }),
      el("p", {}, [el("a", { href: statusLink(f), text: t("map.open_status", { id: f.properties.id }) })]),
    ]);
  }

  function latLng(f) {
    return L.latLng(f.geometry.coordinates[1], f.geometry.coordinates[0]);
  }

  /** Groups the pins on screen: each joins the first group whose first pin is within
   * CLUSTER_PX of it, or starts one. */
  function clusters(items) {
    var groups = [];
    items.forEach(function (f) {
      var p = map.latLngToLayerPoint(latLng(f));
      for (var i = 0; i < groups.length; i++) {
        if (groups[i].at.distanceTo(p) < CLUSTER_PX) {
          groups[i].items.push(f);
          return;
        }
      }
      groups.push({ at: p, items: [f] });
    });
    return groups.map(function (g) {
      return g.items;
    });
  }

  function drawPins(items) {
    if (!map) return;
    // The same pins at the same zoom stay as they are: a pan (a popup making room for itself
    // included) leaves an open popup open.
    var key = map.getZoom() + "|" + I18N.lang + "|" + items.map(function (f) {
      return f.properties.id + f.properties.status;
    }).join(",");
    if (layer && key === drawnKey) return;
    drawnKey = key;
    var reopen = null;
    var keep = openId; // clearing the pins closes their popup
    if (layer) layer.clearLayers();
    else layer = L.layerGroup().addTo(map);
    openId = keep;
    clusters(items).forEach(function (group) {
      if (group.length === 1) {
        var f = group[0];
        var closed = f.properties.status === "closed";
        var marker = L.marker(latLng(f), {
          keyboard: true,
          title: label(f),
          alt: label(f),
          icon: new L.Icon.Default({ className: closed ? "pin-closed" : "" }),
        });
        marker.bindPopup(popup(f));
        marker.on("popupopen", function () {
          openId = f.properties.id;
        });
        marker.on("popupclose", function () {
          if (openId === f.properties.id) openId = null;
        });
        layer.addLayer(marker);
        if (openId === f.properties.id) reopen = marker;
        return;
      }
      var bounds = L.latLngBounds(group.map(latLng));
      var size = group.length < 10 ? 34 : group.length < 100 ? 40 : 46;
      var cluster = L.marker(bounds.getCenter(), {
        keyboard: true,
        title: t("map.cluster", { n: group.length }),
        icon: L.divIcon({ className: "map-cluster", html: "<span>" + group.length + "</span>", iconSize: [size, size] }),
      });
      cluster.on("click", function () {
        // Zoomed in as far as the map goes, the cluster lists its requests instead.
        if (map.getZoom() >= map.getMaxZoom() || bounds.getNorthEast().equals(bounds.getSouthWest())) {
          var items = group.map(function (f) {
            return el("li", {}, [el("a", { href: statusLink(f), text: label(f) })]);
          });
          cluster.bindPopup(el("ul", { class: "map-popup-list" }, items)).openPopup();
        } else {
          map.fitBounds(bounds.pad(0.5));
        }
      });
      layer.addLayer(cluster);
    });
    if (reopen) reopen.openPopup();
  }

  function drawList(items) {
    T.clear(list);
    items.forEach(function (f) {
      list.appendChild(
        el("li", {}, [
          el("a", { href: statusLink(f), text: f.properties.id + ": " + f.properties.service_name }),
          el("span", { class: "map-list-state", text: " — " + t("state." + f.properties.status) + " · " + t("map.reported", { when: T.dateTime(f.properties.requested_datetime) }) }),
        ])
      );
    });
  }

  function render() {
    if (!loaded) return;
    var items = shown();
    drawPins(items);
    drawList(items);
    var words = I18N.tn("map.count", items.length);
    if (truncated) words += " " + t("map.truncated");
    count.textContent = words;
  }

  function say(message) {
    state.textContent = message;
    state.hidden = !message;
  }

  /** Shows that nothing is listed, and why. */
  function empty(message) {
    features = [];
    truncated = false;
    loaded = false;
    if (layer) layer.clearLayers();
    drawnKey = null;
    T.clear(list);
    count.textContent = "";
    say(message);
  }

  function bbox() {
    var b = map.getBounds();
    var clamp = function (value, most) {
      return Math.min(Math.max(value, -most), most).toFixed(5);
    };
    return [clamp(b.getWest(), 180), clamp(b.getSouth(), 90), clamp(b.getEast(), 180), clamp(b.getNorth(), 90)].join(",");
  }

  function load() {
    if (map.getZoom() < MIN_ZOOM) {
      empty(t("map.zoom_in"));
      T.announce(t("map.zoom_in"));
      return;
    }
    var mine = ++asked;
    T.api("/citizen/v1/map?bbox=" + encodeURIComponent(bbox())).then(
      function (answer) {
        if (mine !== asked) return; // the map moved on meanwhile
        if (!answer.ok || !answer.data || !Array.isArray(answer.data.features)) {
          var message = answer.status === 400 ? t("map.zoom_in") : T.errorMessages(answer.data, answer.status).join(" ");
          empty(message);
          return;
        }
        features = answer.data.features;
        truncated = !!answer.data.truncated;
        loaded = true;
        say("");
        render();
        // How many answers were shown: tests wait on it.
        box.setAttribute("data-loads", String(++loads));
        T.announce(count.textContent);
      },
      function () {
        if (mine === asked) empty(t("error.network"));
      }
    );
  }

  function scheduleLoad() {
    window.clearTimeout(timer);
    timer = window.setTimeout(load, WAIT_MS);
  }

  function start() {
    if (!L || !box) return;
    var view = startView();
    box.hidden = false;
    map = T.osmMap(box, view.center, view.zoom, function () {
      document.getElementById("map-note").hidden = false;
    });
    if (!map) {
      box.hidden = true;
      return;
    }
    box.setAttribute("aria-label", t("map.label"));
    map.on("moveend", scheduleLoad);
    load();
  }

  showClosed.addEventListener("change", function () {
    render();
    T.announce(count.textContent);
  });
  I18N.onChange(function () {
    if (box) box.setAttribute("aria-label", t("map.label"));
    render();
  });
  start();
})();
