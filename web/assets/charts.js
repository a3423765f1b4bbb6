/* Small bar charts drawn as inline SVG with DOM calls (no library, no inline style: colours come
 * from classes in stats.css). Each chart is a <figure>: its caption names it, the SVG is one
 * image labelled by the caption, and a data table with the same numbers follows in a <details>,
 * for screen readers and for anyone who wants the numbers. */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var T = window.T311;
  var el = T.el;
  var made = 0;

  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (name) {
      node.setAttribute(name, String(attrs[name]));
    });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /** A round top for the axis: 1, 2, 5 or 10 times a power of ten, at least `max`. */
  function niceMax(max) {
    if (!(max > 0)) return 1;
    var power = Math.pow(10, Math.floor(Math.log10(max)));
    var steps = [1, 2, 5, 10];
    for (var i = 0; i < steps.length; i++) {
      if (steps[i] * power >= max) return steps[i] * power;
    }
    return 10 * power;
  }

  function table(caption, labels, series, format, labelHeading) {
    var head = el("tr", {}, [el("th", { scope: "col", text: labelHeading })].concat(
      series.map(function (s) {
        return el("th", { scope: "col", text: s.name });
      })
    ));
    var rows = labels.map(function (label, i) {
      return el("tr", {}, [el("th", { scope: "row", text: label })].concat(
        series.map(function (s) {
          return el("td", { text: format(s.values[i]) });
        })
      ));
    });
    return el("table", { class: "queue-table data-table" }, [
      el("caption", { text: caption }),
      el("thead", {}, [head]),
      el("tbody", {}, rows),
    ]);
  }

  /**
   * Vertical bars, grouped by label, one colour per series.
   * options: caption, labels (the x axis), series [{name, values}], format (a value as text;
   * null values are drawn as nothing and shown as "—"), labelHeading (the table's first
   * column), tableLabel (the details' summary), max (the axis top, else rounded from the data).
   */
  function bars(options) {
    made += 1;
    var id = "chart-" + made;
    var labels = options.labels;
    var series = options.series;
    var format = function (v) {
      return v === null || v === undefined ? "—" : options.format(v);
    };
    var values = [];
    series.forEach(function (s) {
      s.values.forEach(function (v) {
        if (typeof v === "number") values.push(v);
      });
    });
    var top = options.max || niceMax(Math.max.apply(null, values.concat([0])));
    var width = 640;
    var height = 240;
    // Room for the axis' numbers at the left and for the last month's name at the right.
    var left = 72;
    var right = 28;
    var bottom = 36;
    var plot = { w: width - left - right, h: height - bottom - 12 };
    var chart = svg("svg", {
      viewBox: "0 0 " + width + " " + height,
      role: "img",
      "aria-labelledby": id,
      class: "chart",
      focusable: "false",
    });
    // Gridlines and the axis' numbers: none, half, full.
    [0, 0.5, 1].forEach(function (share) {
      var y = 12 + plot.h - share * plot.h;
      chart.appendChild(svg("line", { x1: left, x2: width - right, y1: y, y2: y, class: "grid" }));
      chart.appendChild(
        svg("text", { x: left - 6, y: y + 4, "text-anchor": "end", class: "axis" }, options.format(Math.round(top * share * 10) / 10))
      );
    });
    var slot = plot.w / Math.max(labels.length, 1);
    var bar = Math.max(2, (slot * 0.8) / Math.max(series.length, 1));
    labels.forEach(function (label, i) {
      var x0 = left + i * slot + slot * 0.1;
      series.forEach(function (s, k) {
        var v = s.values[i];
        if (typeof v !== "number") return;
        var h = Math.max(v > 0 ? 1 : 0, (v / top) * plot.h);
        chart.appendChild(
          svg("rect", { x: x0 + k * bar, y: 12 + plot.h - h, width: bar - 1, height: h, class: "series-" + k }, undefined)
        );
      });
      // Every label when there is room, else every other one.
      if (labels.length <= 8 || i % 2 === (labels.length - 1) % 2) {
        chart.appendChild(
          svg("text", { x: left + i * slot + slot / 2, y: height - bottom + 16, "text-anchor": "middle", class: "axis" }, label)
        );
      }
    });
    var legend = el(
      "ul",
      { class: "legend", "aria-hidden": "true" },
      series.map(function (s, k) {
        return el("li", {}, [el("span", { class: "key series-" + k }), document.createTextNode(s.name)]);
      })
    );
    return el("figure", { class: "chart-figure" }, [
      el("figcaption", { id: id, text: options.caption }),
      chart,
      series.length > 1 ? legend : document.createTextNode(""),
      el("details", {}, [
        el("summary", { text: options.tableLabel }),
        el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": options.caption }, [table(options.caption, labels, series, format, options.labelHeading)]),
      ]),
    ]);
  }

  /** "2026-11" as the month's name and year in the page's language (short: "Nov 26"). */
  function month(text, long) {
    var parts = String(text).split("-");
    var date = new Date(Date.UTC(Number(parts[0]), Number(parts[1]) - 1, 15));
    if (isNaN(date.getTime())) return text;
    var options = long ? { month: "long", year: "numeric", timeZone: "UTC" } : { month: "short", year: "2-digit", timeZone: "UTC" };
    return new Intl.DateTimeFormat(window.I18N.lang === "es" ? "es" : "en-US", options).format(date);
  }

  window.T311Charts = { bars: bars, table: table, month: month };
})();
