/* The staff page's dashboard (GET /staff/v1/stats): a department's open backlog by status, age
 * and service, what is overdue and due today, and its months. Each number is a link to the queue
 * with that filter in the address (queue-filters.js), so it shows the tickets behind the number;
 * followed in the page, which keeps its sign-in.
 * Shown with ?view=dashboard, so it can be bookmarked too. */
(function () {
  "use strict";
  var T = window.T311;
  var I18N = window.I18N;
  var t = I18N.t;
  var el = T.el;
  var Queue = window.T311Queue;
  var Charts = window.T311Charts;
  var board = null;

  function $(id) {
    return document.getElementById(id);
  }

  function shown() {
    return !$("dashboard").hidden;
  }

  /** The department to show: the address's, else the queue filter's. */
  function department() {
    return Queue.fromUrl(window.location.search).department || $("f-department").value.trim();
  }

  function amount(n, capped) {
    return capped ? t("dash.at_least", { n: n }) : String(n);
  }

  /** A link to the queue of the dashboard's department with `filters`. */
  function link(label, n, capped, filters) {
    return el("a", { href: Queue.href(Object.assign({ department: board.department }, filters)) }, [
      el("span", { class: "figure", text: amount(n, capped) }),
      el("span", { text: " " + label }),
    ]);
  }

  function serviceName(code) {
    var option = Array.prototype.find.call($("f-service").options, function (o) {
      return o.value === code;
    });
    return option && option.textContent !== code ? option.textContent : code;
  }

  function counts(heading, items, label, filter) {
    return [
      el("h3", { text: heading }),
      el(
        "ul",
        { class: "counts" },
        items.map(function (c) {
          var filters = {};
          filters[filter] = c.key;
          return el("li", {}, [link(label(c.key), c.count, board.capped, filters)]);
        })
      ),
    ];
  }

  function render() {
    if (!board || !shown()) return;
    $("dashboard-heading").textContent = t("dash.heading", { name: board.name });
    var status = t("dash.as_of", { time: T.dateTime(board.as_of) });
    if (board.capped || board.overdue.capped || board.due_today.capped) status += " " + t("dash.capped", { cap: board.cap });
    $("dashboard-status").textContent = status;
    var body = $("dashboard-body");
    T.clear(body);
    var months = board.months || [];
    var thisMonth = months[months.length - 1] || {};
    var firstResponse = thisMonth.median_hours_to_first_response;
    body.appendChild(
      el("ul", { class: "headline" }, [
        el("li", {}, [link(t("dash.open"), board.open, board.capped, { status: "open" })]),
        el("li", {}, [link(t("dash.overdue"), board.overdue.count, board.overdue.capped, { overdue: true })]),
        el("li", {}, [link(t("dash.due_today"), board.due_today.count, board.due_today.capped, { due: "today" })]),
        el("li", {}, [
          el("span", { class: "figure", text: firstResponse === null || firstResponse === undefined ? "—" : String(firstResponse) }),
          el("span", { text: " " + t("dash.first_response") }),
        ]),
      ])
    );
    var parts = []
      .concat(
        counts(t("dash.by_status"), board.by_status, function (key) {
          return t("status." + key);
        }, "status")
      )
      .concat(
        counts(t("dash.by_age"), board.by_age, function (key) {
          var words = t("dash.age." + key);
          return words === "dash.age." + key ? key : words;
        }, "age")
      );
    if (board.by_service.length) parts = parts.concat(counts(t("dash.by_service"), board.by_service, serviceName, "service_code"));
    parts.forEach(function (part) {
      body.appendChild(part);
    });
    body.appendChild(
      Charts.bars({
        caption: t("dash.trends"),
        labels: months.map(function (m) {
          return Charts.month(m.month, false);
        }),
        labelHeading: t("stats.col.month"),
        tableLabel: t("stats.table"),
        series: [
          { name: t("stats.opened"), values: months.map(function (m) { return m.opened; }) },
          { name: t("stats.closed"), values: months.map(function (m) { return m.closed; }) },
        ],
        format: String,
      })
    );
  }

  /** Keeps ?view=dashboard in the address while the dashboard shows. */
  function keepView(on) {
    var query = new URLSearchParams(window.location.search);
    if (on) query.set("view", "dashboard");
    else query.delete("view");
    var text = query.toString();
    window.history.replaceState(null, "", window.location.pathname + (text ? "?" + text : "") + window.location.hash);
  }

  function load() {
    var code = department();
    board = null;
    T.clear($("dashboard-body"));
    $("dashboard-heading").textContent = t("dash.toggle");
    if (!code) {
      $("dashboard-status").textContent = t("dash.pick_department");
      return Promise.resolve();
    }
    $("dashboard-status").textContent = t("dash.loading");
    return T.staffCall("/staff/v1/stats?department=" + encodeURIComponent(code)).then(
      function (answer) {
        if (!answer.ok || !answer.data) {
          $("dashboard-status").textContent = T.errorMessages(answer.data, answer.status).join(" ");
          return;
        }
        board = answer.data;
        render();
      },
      function () {
        $("dashboard-status").textContent = t("error.network");
      }
    );
  }

  function show(on) {
    $("dashboard").hidden = !on;
    $("dashboard-toggle").setAttribute("aria-expanded", on ? "true" : "false");
    keepView(on);
    if (!on) return Promise.resolve();
    return load().then(function () {
      $("dashboard").focus();
    });
  }

  $("dashboard-toggle").addEventListener("click", function () {
    show(!shown());
  });
  // A number opens its queue in this page (the sign-in lives in the page's memory only): the
  // address takes the link's filters, as a bookmark holds them, and the queue reloads with them.
  $("dashboard-body").addEventListener("click", function (event) {
    var a = event.target.closest && event.target.closest("a[href]");
    if (!a || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    window.history.pushState(null, "", a.getAttribute("href"));
    show(false);
    Queue.applyUrl();
    $("filters").requestSubmit();
  });
  function signedIn() {
    if (new URLSearchParams(window.location.search).get("view") === "dashboard") show(true);
  }
  document.addEventListener("town311:signed-in", signedIn);
  I18N.onChange(render);
})();
