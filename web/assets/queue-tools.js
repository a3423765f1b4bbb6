/* The queue tools of the staff page: pickers of departments and people from the staff
 * directory (GET /staff/v1/directory) instead of typed codes; several tickets selected and
 * assigned, scheduled or moved to a status at once, each sent with the version the queue listed
 * (one refusal names its ticket and why, the others go through); the filtered queue on a map;
 * j/k (n/p) for the next and previous ticket. admin.js tells these tools what happened through
 * window.T311QueueTools and hands them what they may use (`page`). */
(function () {
  "use strict";
  var T = window.T311;
  var I18N = window.I18N;
  var t = I18N.t;
  var el = T.el;

  /** How many changes are in flight at once: enough to be quick, few enough to be gentle. */
  var AT_ONCE = 4;

  var page = null; // what admin.js hands over: call, reload, queue, current, session
  var directory = null; // the answer of GET /staff/v1/directory
  var selected = {}; // ticket id -> true
  var results = null; // the last bulk run: [{id, ok, reason}]
  var running = false;
  var map = null;
  var pins = null;
  var view = "list";

  function $(id) {
    return document.getElementById(id);
  }

  /* ---- pickers from the staff directory ---- */

  function loadDirectory() {
    return page.call("/staff/v1/directory").then(
      function (answer) {
        if (!answer.ok || !answer.data) return;
        directory = answer.data;
        fillPickers();
      },
      function () {
        /* the typed fields still work */
      }
    );
  }

  /** Everyone the caller may assign, by user name: who works the departments they read (or
   * only `department`, when given), and the admins. */
  function people(department) {
    var byName = {};
    var add = function (member, where) {
      var person = byName[member.username] || (byName[member.username] = { username: member.username, name: member.name, where: [] });
      if (person.where.indexOf(where) < 0) person.where.push(where);
    };
    (directory.departments || []).forEach(function (d) {
      if (department && d.code !== department) return;
      (d.members || []).forEach(function (m) {
        add(m, d.name);
      });
    });
    (directory.admins || []).forEach(function (m) {
      add(m, t("queue.admins"));
    });
    return Object.keys(byName)
      .sort()
      .map(function (name) {
        return byName[name];
      });
  }

  function describePerson(person) {
    return (person.name ? person.name + " · " : "") + person.where.join(", ");
  }

  /** A datalist next to `input` (made once), the input pointed at it. */
  function datalist(id, input) {
    var list = $(id);
    if (!list) {
      list = el("datalist", { id: id });
      input.parentNode.appendChild(list);
    }
    input.setAttribute("list", id);
    T.clear(list);
    return list;
  }

  function fillPickers() {
    if (!directory) return;
    var departments = directory.departments || [];
    // The queue filter: the departments the caller reads, by name.
    var readable = $("departments");
    T.clear(readable);
    departments
      .filter(function (d) {
        return d.members;
      })
      .forEach(function (d) {
        readable.appendChild(el("option", { value: d.code, label: d.name }));
      });
    // Re-routing: any department.
    var all = datalist("all-departments", $("move-to"));
    departments.forEach(function (d) {
      all.appendChild(el("option", { value: d.code, label: d.name }));
    });
    var everyone = people();
    var list = datalist("staff-people", $("f-assignee"));
    everyone.forEach(function (person) {
      list.appendChild(el("option", { value: person.username, label: describePerson(person) }));
    });
    fillAssignees();
    var bulk = $("bulk-assignee");
    var chosen = bulk.value;
    T.clear(bulk);
    bulk.appendChild(el("option", { value: "", text: t("queue.pick_someone") }));
    everyone.forEach(function (person) {
      bulk.appendChild(el("option", { value: person.username, text: person.username + " (" + describePerson(person) + ")" }));
    });
    bulk.value = chosen;
  }

  /** The ticket shown is assigned among who works its department, and the admins. */
  function fillAssignees() {
    if (!directory) return;
    var current = page && page.current();
    var department = current && current.ticket ? current.ticket.department : null;
    var list = datalist("staff-assignees", $("assign-to"));
    people(department).forEach(function (person) {
      list.appendChild(el("option", { value: person.username, label: describePerson(person) }));
    });
  }

  /* ---- selecting tickets ---- */

  function listed() {
    return page ? page.queue() : [];
  }

  function count() {
    return Object.keys(selected).length;
  }

  function selectAllBox() {
    var head = document.querySelector("#queue-table thead tr");
    var box = $("select-all");
    if (!box && head) {
      box = el("input", { type: "checkbox", id: "select-all" });
      box.addEventListener("change", function () {
        selected = {};
        if (box.checked) {
          listed().forEach(function (ticket) {
            selected[ticket.id] = true;
          });
        }
        Array.prototype.forEach.call(document.querySelectorAll("#queue-rows input.pick"), function (pick) {
          pick.checked = box.checked;
        });
        showBulk();
      });
      head.insertBefore(
        el("th", { scope: "col", class: "pick" }, [box, el("label", { for: "select-all", class: "visually-hidden", id: "select-all-label" })]),
        head.firstChild
      );
    }
    var label = $("select-all-label");
    if (label) label.textContent = t("queue.select_all");
    return box;
  }

  function queueDrawn(rows) {
    var tickets = listed();
    // Only what is listed can be changed: its version is the one the queue gave.
    var kept = {};
    tickets.forEach(function (ticket) {
      if (selected[ticket.id]) kept[ticket.id] = true;
    });
    selected = kept;
    selectAllBox();
    Array.prototype.forEach.call(rows.children, function (row, i) {
      var ticket = tickets[i];
      if (!ticket) return;
      var pick = el("input", { type: "checkbox", class: "pick", "aria-label": t("queue.pick", { id: ticket.id }), "data-ticket": ticket.id });
      pick.checked = !!selected[ticket.id];
      pick.addEventListener("change", function () {
        if (pick.checked) selected[ticket.id] = true;
        else delete selected[ticket.id];
        showBulk();
      });
      row.insertBefore(el("td", { class: "pick" }, [pick]), row.firstChild);
    });
    showBulk();
    drawPins(false);
  }

  function showBulk() {
    var n = count();
    var total = listed().length;
    $("bulk").hidden = n === 0 && !running;
    $("bulk-count").textContent = I18N.tn("queue.selected", n);
    var box = selectAllBox();
    if (box) {
      box.checked = n > 0 && n === total;
      box.indeterminate = n > 0 && n < total;
    }
  }

  function bulkFields() {
    var action = $("bulk-action").value;
    var closing = action === "set_status" && $("bulk-status").value === "closed";
    $("bulk-assignee-field").hidden = action !== "assign";
    $("bulk-at-field").hidden = action !== "schedule";
    $("bulk-status-field").hidden = action !== "set_status";
    $("bulk-resolution-field").hidden = !closing;
    $("bulk-note-field").hidden = action !== "set_status";
  }

  /** What to send each ticket, as a list of steps (each given the version to name); null when
   * a field is missing (its error is shown). */
  function plan() {
    var action = $("bulk-action").value;
    if (action === "assign") {
      var who = $("bulk-assignee").value;
      T.fieldError($("bulk-assignee"), who ? "" : t("queue.need_assignee"));
      if (!who) return null;
      return [{ action: "assign", assignee: who }];
    }
    if (action === "schedule") {
      var input = $("bulk-at");
      var at = input.value ? new Date(input.value) : null;
      var bad = !at || isNaN(at.getTime());
      T.fieldError(input, bad ? t(input.value ? "error.datetime" : "error.answer_required") : "");
      if (bad) return null;
      return [{ action: "schedule", at: at.toISOString() }];
    }
    var body = { action: "set_status", status: $("bulk-status").value };
    if (body.status === "closed") body.resolution = $("bulk-resolution").value;
    var steps = [body];
    var note = $("bulk-note").value.trim();
    if (note) steps.push({ action: "note", text: note, public: true });
    return steps;
  }

  /** Sends `steps` to one ticket in turn, each naming the version the one before left. */
  function change(ticket, steps) {
    var version = ticket.version;
    var chain = Promise.resolve({ ok: true });
    steps.forEach(function (step) {
      chain = chain.then(function (previous) {
        if (!previous.ok) return previous;
        var body = Object.assign({}, step, { version: version });
        return page.call("/staff/v1/tickets/" + encodeURIComponent(ticket.id) + "/actions", { method: "POST", json: body }).then(function (answer) {
          if (answer.ok && answer.data && answer.data.ticket) version = answer.data.ticket.version;
          return answer;
        });
      });
    });
    return chain.then(
      function (answer) {
        if (answer.ok) return { id: ticket.id, ok: true };
        var reason = answer.status === 412 ? t("queue.reason_stale") : T.errorMessages(answer.data, answer.status).join(" ");
        return { id: ticket.id, ok: false, reason: reason };
      },
      function () {
        return { id: ticket.id, ok: false, reason: t("error.network") };
      }
    );
  }

  /** Runs `work` over `items`, at most AT_ONCE at a time; the outcomes in the items' order. */
  function inTurn(items, work) {
    var outcomes = new Array(items.length);
    var next = 0;
    function worker() {
      if (next >= items.length) return Promise.resolve();
      var i = next++;
      return work(items[i]).then(function (outcome) {
        outcomes[i] = outcome;
        return worker();
      });
    }
    var workers = [];
    for (var n = 0; n < Math.min(AT_ONCE, items.length); n++) workers.push(worker());
    return Promise.all(workers).then(function () {
      return outcomes;
    });
  }

  function applyBulk(event) {
    event.preventDefault();
    if (running) return;
    var steps = plan();
    if (!steps) return;
    var tickets = listed().filter(function (ticket) {
      return selected[ticket.id];
    });
    if (!tickets.length) return;
    running = true;
    $("bulk-apply").disabled = true;
    T.announce(t("queue.working", { n: tickets.length }));
    inTurn(tickets, function (ticket) {
      return change(ticket, steps);
    }).then(function (outcomes) {
      running = false;
      $("bulk-apply").disabled = false;
      results = outcomes;
      // What failed stays selected, to try again once reloaded.
      selected = {};
      outcomes.forEach(function (o) {
        if (!o.ok) selected[o.id] = true;
      });
      showResults(true);
      return page.reload();
    });
  }

  function showResults(focus) {
    if (!results) return;
    var failed = results.filter(function (o) {
      return !o.ok;
    });
    var summary = t("queue.summary", { done: results.length - failed.length, total: results.length });
    if (failed.length) {
      summary +=
        " " +
        t("queue.failed", {
          ids: failed
            .map(function (o) {
              return o.id;
            })
            .join(", "),
        });
    }
    $("bulk-summary").textContent = summary;
    var list = $("bulk-list");
    T.clear(list);
    // The refused first: they are what needs doing.
    failed.concat(results.filter(function (o) {
      return o.ok;
    })).forEach(function (o) {
      var link = el("a", { href: "#ticket/" + o.id, text: o.id });
      var words = o.ok ? t("queue.result_done", { id: "\u0000" }) : t("queue.result_failed", { id: "\u0000", reason: o.reason });
      var parts = words.split("\u0000");
      list.appendChild(el("li", { class: o.ok ? "done" : "failed" }, [parts[0], link, parts.slice(1).join("")]));
    });
    var box = $("bulk-results");
    box.hidden = false;
    if (focus) {
      box.focus();
      T.announce(summary);
    }
  }

  /* ---- the map ---- */

  function startMap() {
    var L = window.L;
    var box = $("queue-map");
    if (map || !L) return !!map;
    var center = (T.config && T.config.map_center) || [0, 0];
    map = T.osmMap(box, center.slice(0, 2), T.config && T.config.map_center ? 13 : 2);
    if (!map) return false;
    pins = L.layerGroup().addTo(map);
    return true;
  }

  function drawPins(fit) {
    if (!map || view !== "map") return;
    var L = window.L;
    pins.clearLayers();
    var tickets = listed();
    var points = [];
    tickets.forEach(function (ticket) {
      var point = ticket.location && ticket.location.point;
      if (!point) return;
      var where = [point.lat, point.long];
      points.push(where);
      var title = ticket.id + " · " + ticket.service_name;
      var popup = el("p", {}, [el("a", { href: "#ticket/" + ticket.id, text: title }), el("br"), t("status." + ticket.status)]);
      L.marker(where, { keyboard: true, title: title, alt: title }).bindPopup(popup).addTo(pins);
    });
    var note = $("queue-map-note");
    note.hidden = false;
    note.textContent = t("queue.map_pins", { n: points.length, total: tickets.length });
    if (fit && points.length) map.fitBounds(points, { maxZoom: 16, padding: [24, 24] });
  }

  function showView(next) {
    view = next;
    var onMap = view === "map";
    $("view-list").setAttribute("aria-pressed", onMap ? "false" : "true");
    $("view-map").setAttribute("aria-pressed", onMap ? "true" : "false");
    $("queue-list").hidden = onMap;
    $("queue-map").hidden = !onMap;
    $("queue-map-note").hidden = !onMap;
    if (!onMap) return;
    $("queue-map").setAttribute("aria-label", t("queue.map_label"));
    if (!startMap()) {
      $("queue-map").hidden = true;
      $("queue-map-note").textContent = t("queue.map_failed");
      return;
    }
    map.invalidateSize();
    drawPins(true);
  }

  /* ---- keys ---- */

  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function shownId() {
    var match = /^#ticket\/([0-9A-Za-z-]+)$/.exec(window.location.hash);
    if (match) return match[1];
    var current = page && page.current();
    return current && current.ticket ? current.ticket.id : null;
  }

  function step(by) {
    var tickets = listed();
    if (!tickets.length) return;
    var at = -1;
    var id = shownId();
    tickets.forEach(function (ticket, i) {
      if (ticket.id === id) at = i;
    });
    var next = at < 0 ? (by > 0 ? 0 : tickets.length - 1) : at + by;
    if (next < 0 || next >= tickets.length) {
      T.announce(t(by > 0 ? "queue.no_next" : "queue.no_previous"));
      return;
    }
    window.location.hash = "#ticket/" + tickets[next].id;
  }

  function onKey(event) {
    if (!page || !page.session() || $("work").hidden) return;
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (event.key === "j" || event.key === "n") step(1);
    else if (event.key === "k" || event.key === "p") step(-1);
    else if (event.key === "?") $("queue-keys").hidden = !$("queue-keys").hidden;
    else return;
    event.preventDefault();
  }

  /* ---- start ---- */

  $("bulk-action").addEventListener("change", bulkFields);
  $("bulk-status").addEventListener("change", bulkFields);
  $("bulk").addEventListener("submit", applyBulk);
  $("bulk-clear").addEventListener("click", function () {
    selected = {};
    Array.prototype.forEach.call(document.querySelectorAll("#queue-rows input.pick"), function (pick) {
      pick.checked = false;
    });
    showBulk();
    var all = $("select-all");
    if (all) all.focus();
  });
  $("view-list").addEventListener("click", function () {
    showView("list");
  });
  $("view-map").addEventListener("click", function () {
    showView("map");
  });
  document.addEventListener("keydown", onKey);
  I18N.onChange(function () {
    fillPickers();
    showBulk();
    showResults(false);
    if (view === "map") {
      $("queue-map").setAttribute("aria-label", t("queue.map_label"));
      drawPins(false);
    }
  });
  bulkFields();

  window.T311QueueTools = {
    signedIn: function (_, handed) {
      page = handed;
      loadDirectory();
    },
    queueDrawn: function (rows, handed) {
      page = handed;
      queueDrawn(rows);
    },
    ticketShown: function (_, handed) {
      page = handed;
      fillAssignees();
    },
  };
})();
