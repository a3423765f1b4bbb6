/* The public figures page: GET /citizen/v1/stats drawn as charts with their data tables. */
(function () {
  "use strict";
  var T = window.T311;
  var I18N = window.I18N;
  var t = I18N.t;
  var el = T.el;
  var Charts = window.T311Charts;
  var figures = null;

  function $(id) {
    return document.getElementById(id);
  }

  function number(n) {
    return new Intl.NumberFormat(I18N.lang === "es" ? "es" : "en-US").format(n);
  }

  function percent(n) {
    return number(n) + " %";
  }

  function orDash(v, format) {
    return v === null || v === undefined ? "—" : format(v);
  }

  var monthName = Charts.month;

  function headline(label, value) {
    return el("li", {}, [el("span", { class: "figure", text: value }), el("span", { text: label })]);
  }

  /** A table of groups (departments or services), each with its figures over the year. */
  function groupTable(caption, groups) {
    var head = ["stats.col.name", "stats.opened", "stats.closed", "stats.median_days", "stats.in_promise", "stats.first_response", "stats.confirmed_fixed"];
    // A wide table scrolls on a phone: focusable, so it scrolls by keyboard too.
    return el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": caption }, [
      el("table", { class: "queue-table data-table" }, [
        el("caption", { text: caption }),
        el("thead", {}, [
          el(
            "tr",
            {},
            head.map(function (key) {
              return el("th", { scope: "col", text: t(key) });
            })
          ),
        ]),
        el(
          "tbody",
          {},
          groups.map(function (g) {
            return el("tr", {}, [
              el("th", { scope: "row", text: g.name }),
              el("td", { text: number(g.opened) }),
              el("td", { text: number(g.closed) }),
              el("td", { text: orDash(g.median_days_to_close, number) }),
              el("td", { text: orDash(g.percent_closed_in_promise, percent) }),
              el("td", { text: orDash(g.median_hours_to_first_response, number) }),
              el("td", { text: orDash(g.percent_confirmed_fixed, percent) }),
            ]);
          })
        ),
      ]),
    ]);
  }

  function render() {
    if (!figures) return;
    var months = figures.months || [];
    var labels = months.map(function (m) {
      return monthName(m.month, false);
    });
    var pick = function (name) {
      return months.map(function (m) {
        return m[name];
      });
    };
    var now = months[months.length - 1] || {};
    var head = $("stats-headline");
    T.clear(head);
    head.appendChild(headline(t("stats.opened"), number(now.opened || 0)));
    head.appendChild(headline(t("stats.closed"), number(now.closed || 0)));
    head.appendChild(headline(t("stats.median_days"), orDash(now.median_days_to_close, number)));
    head.appendChild(headline(t("stats.in_promise"), orDash(now.percent_closed_in_promise, percent)));
    // Few answer each month: the share of reporters who say it was fixed is over the twelve.
    var year = figures.period || {};
    head.appendChild(headline(t("stats.confirmed_fixed_year"), orDash(year.percent_confirmed_fixed, percent)));

    var trends = $("stats-trends");
    T.clear(trends);
    var common = { labels: labels, labelHeading: t("stats.col.month"), tableLabel: t("stats.table") };
    trends.appendChild(
      Charts.bars(
        Object.assign({}, common, {
          caption: t("stats.chart.requests"),
          series: [
            { name: t("stats.opened"), values: pick("opened") },
            { name: t("stats.closed"), values: pick("closed") },
          ],
          format: number,
        })
      )
    );
    trends.appendChild(
      Charts.bars(
        Object.assign({}, common, {
          caption: t("stats.chart.median_days"),
          series: [{ name: t("stats.median_days"), values: pick("median_days_to_close") }],
          format: number,
        })
      )
    );
    trends.appendChild(
      Charts.bars(
        Object.assign({}, common, {
          caption: t("stats.chart.in_promise"),
          series: [{ name: t("stats.in_promise"), values: pick("percent_closed_in_promise") }],
          format: percent,
          max: 100,
        })
      )
    );

    var departments = $("stats-departments");
    T.clear(departments);
    var byDepartment = figures.departments || [];
    if (byDepartment.length) {
      departments.appendChild(
        Charts.bars({
          caption: t("stats.chart.departments"),
          labels: byDepartment.map(function (d) {
            return d.code;
          }),
          labelHeading: t("stats.col.name"),
          tableLabel: t("stats.table"),
          series: [
            { name: t("stats.opened"), values: byDepartment.map(function (d) { return d.opened; }) },
            { name: t("stats.closed"), values: byDepartment.map(function (d) { return d.closed; }) },
          ],
          format: number,
        })
      );
      departments.appendChild(groupTable(t("stats.by_department"), byDepartment));
    } else departments.appendChild(el("p", { text: t("stats.none") }));
    var services = $("stats-services");
    T.clear(services);
    if ((figures.services || []).length) services.appendChild(groupTable(t("stats.by_service"), figures.services));
    else services.appendChild(el("p", { text: t("stats.none") }));
    $("stats-status").textContent = t("stats.as_of", { month: monthName(now.month || "", true) });
  }

  T.api("/citizen/v1/stats").then(
    function (answer) {
      if (!answer.ok || !answer.data) {
        $("stats-status").textContent = T.errorMessages(answer.data, answer.status).join(" ");
        return;
      }
      figures = answer.data;
      $("stats").hidden = false;
      render();
    },
    function () {
      $("stats-status").textContent = t("error.network");
    }
  );
  I18N.onChange(render);
})();
