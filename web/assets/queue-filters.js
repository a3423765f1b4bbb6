/* The staff queue's filters, kept in the page's address (/admin?department=DPW&status=scheduled
 * &service_code=…&assignee=…&overdue=true&due=today&age=2-7), so that a view can be bookmarked and
 * the dashboard can link to the tickets behind each of its numbers. The same filters, as the
 * queue API's parameters, are what the queue asks for. */
(function () {
  "use strict";
  var KEYS = ["department", "status", "service_code", "assignee", "overdue", "due", "age"];

  function $(id) {
    return document.getElementById(id);
  }

  /** The filters the form shows: {department, status, service_code, assignee, overdue, due, age}. */
  function fromForm() {
    return {
      department: $("f-department").value.trim(),
      status: $("f-status").value,
      service_code: $("f-service").value,
      assignee: $("f-assignee").value.trim(),
      overdue: $("f-overdue").checked,
      due: $("f-due-today").checked ? "today" : "",
      age: $("f-age").value,
    };
  }

  /** Selects `value` in a select, adding it as an option when it is not one (a bookmarked band,
   * a service not loaded yet). */
  function choose(select, value) {
    if (!value) {
      select.selectedIndex = 0;
      return;
    }
    var known = Array.prototype.some.call(select.options, function (o) {
      return o.value === value;
    });
    if (!known) select.appendChild(window.T311.el("option", { value: value, text: value }));
    select.value = value;
  }

  function toForm(filters) {
    if (filters.department !== undefined) $("f-department").value = filters.department;
    choose($("f-status"), filters.status || "open");
    choose($("f-service"), filters.service_code || "");
    $("f-assignee").value = filters.assignee || "";
    $("f-overdue").checked = !!filters.overdue;
    $("f-due-today").checked = filters.due === "today";
    choose($("f-age"), filters.age || "");
  }

  /** The filters an address names (only those it names). */
  function fromUrl(search) {
    var query = new URLSearchParams(search);
    var filters = {};
    KEYS.forEach(function (key) {
      var value = query.get(key);
      if (value === null) return;
      filters[key] = key === "overdue" ? value === "true" || value === "1" : value.trim();
    });
    return filters;
  }

  /** The filters as an address's query (defaults left out). */
  function query(filters) {
    var query = new URLSearchParams();
    KEYS.forEach(function (key) {
      var value = filters[key];
      if (key === "overdue") value = value ? "true" : "";
      if (key === "status" && value === "open") value = "";
      if (value) query.set(key, value);
    });
    return query;
  }

  /** A link to the queue with these filters. */
  function href(filters) {
    var text = query(filters).toString();
    return "/admin" + (text ? "?" + text : "");
  }

  /** The queue API's parameters for these filters. */
  function apiParams(filters) {
    var params = new URLSearchParams();
    if (filters.department) params.set("department", filters.department);
    var status = filters.status || "open";
    if (filters.assignee) params.set("assignee", filters.assignee);
    else if (filters.overdue) params.set("overdue", "true");
    else if (filters.due) params.set("due", filters.due);
    else if (status === "open" || status === "closed") params.set("state", status);
    if (status !== "open" && status !== "closed") params.set("status", status);
    if (filters.service_code) params.set("service_code", filters.service_code);
    if (filters.age) params.set("age", filters.age);
    return params;
  }

  /** Writes the filters into the address, keeping what else it holds (the language, the view,
   * the ticket open). */
  function keep(filters) {
    var current = new URLSearchParams(window.location.search);
    KEYS.forEach(function (key) {
      current.delete(key);
    });
    query(filters).forEach(function (value, key) {
      current.set(key, value);
    });
    var text = current.toString();
    var next = window.location.pathname + (text ? "?" + text : "") + window.location.hash;
    if (next !== window.location.pathname + window.location.search + window.location.hash) {
      window.history.replaceState(null, "", next);
    }
  }

  window.T311Queue = {
    fromForm: fromForm,
    toForm: toForm,
    fromUrl: fromUrl,
    href: href,
    apiParams: apiParams,
    /** Shows the address's filters in the form. */
    applyUrl: function () {
      toForm(fromUrl(window.location.search));
    },
    /** The form's filters, kept in the address, as the queue API's parameters. */
    params: function () {
      var filters = fromForm();
      keep(filters);
      return apiParams(filters);
    },
  };
})();
