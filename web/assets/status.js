/* The status page: a request's public record and history, by ticket number. */
(function () {
  "use strict";
  var T = window.T311;
  var I18N = window.I18N;
  var t = I18N.t;
  var el = T.el;

  var lookup = document.getElementById("lookup");
  var input = document.getElementById("ticket-id");
  var result = document.getElementById("result");
  var record = null;

  /** A note's label in the page's language, by the kind of change. */
  function label(note) {
    var key = "history." + note.type;
    var text = t(key);
    return text === key ? summary(note) : text;
  }

  /** The change's one-line summary, worded from its code and parameters. */
  function summary(note) {
    return I18N.summary(note.summary_code, note.summary_params, note.summary);
  }

  /** Text staff removed shows in the reader's language (the record says it in English). */
  function words(text) {
    return text === "[removed by staff]" ? t("status.removed") : text;
  }

  function render() {
    if (!record) return;
    document.getElementById("result-heading").textContent = t("status.request", { id: record.service_request_id, service: record.service_name });
    document.getElementById("r-status").textContent = t("state." + record.status);
    document.getElementById("r-requested").textContent = T.dateTime(record.requested_datetime);
    document.getElementById("r-expected").textContent = record.expected_datetime ? T.dateTime(record.expected_datetime) : t("confirm.expected_unknown");
    document.getElementById("r-department").textContent = record.agency_responsible || "";
    var where = [];
    if (record.address) where.push(record.address);
    if (typeof record.lat === "number" && typeof record.long === "number") where.push(record.lat.toFixed(5) + ", " + record.long.toFixed(5));
    document.getElementById("r-where").textContent = where.join(" · ") || "—";
    document.getElementById("r-description").textContent = record.description ? words(record.description) : "—";
    var notes = document.getElementById("r-notes");
    notes.hidden = !record.status_notes;
    notes.textContent = record.status_notes ? t("status.latest_note", { note: words(record.status_notes) }) : "";
    var extended = record.extended_attributes || {};
    var photos = extended.photos || [];
    var after = extended.after_photos || [];
    var photoList = document.getElementById("r-photo-list");
    T.clear(photoList);
    var reported = 0;
    photos.forEach(function (url) {
      var finished = after.indexOf(url) >= 0;
      if (!finished) reported += 1;
      var text = finished ? t("status.after_photo") : t("status.photo", { n: reported });
      photoList.appendChild(el("li", {}, [el("a", { href: url, text: text })]));
    });
    document.getElementById("r-photos").hidden = photos.length === 0;
    var history = document.getElementById("r-history");
    T.clear(history);
    var entries = (record.extended_attributes && record.extended_attributes.notes) || [];
    entries.forEach(function (note) {
      var parts = [el("time", { datetime: note.datetime, text: T.dateTime(note.datetime) }), el("span", { class: "what", text: label(note) })];
      var detail = summary(note);
      // The summary adds what the kind alone does not say: the resolution, the other request.
      var telling = ["status_changed", "merged", "duplicate_merged"].indexOf(note.type) >= 0;
      if (telling && detail && detail !== label(note)) parts.push(el("span", { text: " — " + detail }));
      if (note.description) parts.push(el("p", { class: "said", text: words(note.description) }));
      history.appendChild(el("li", {}, parts));
    });
  }

  function show(id) {
    var number = T.ticketNumber(id);
    T.fieldError(input, "");
    if (!/^[0-9A-Z]{4}-[0-9A-Z]{4}$/.test(number)) {
      T.fieldError(input, t("status.bad_number"));
      input.focus();
      return;
    }
    input.value = number;
    T.announce(t("status.looking"));
    T.api("/open311/v2/requests/" + encodeURIComponent(number) + ".json?extensions=true").then(
      function (answer) {
        if (!answer.ok || !Array.isArray(answer.data) || !answer.data[0]) {
          record = null;
          result.hidden = true;
          var message = answer.status === 404 ? t("status.not_found", { id: number }) : T.errorMessages(answer.data, answer.status).join(" ");
          T.fieldError(input, message);
          input.focus();
          return;
        }
        record = answer.data[0];
        render();
        result.hidden = false;
        T.announce(t("status.found", { id: record.service_request_id, state: t("state." + record.status) }));
      },
      function () {
        T.fieldError(input, t("error.network"));
      }
    );
  }

  var forget = document.getElementById("forget-form");
  var forgetInput = document.getElementById("forget-contact");
  var forgetDone = document.getElementById("forget-done");
  forget.addEventListener("submit", function (event) {
    event.preventDefault();
    T.fieldError(forgetInput, "");
    forgetDone.hidden = true;
    if (!record || !forgetInput.value.trim()) {
      T.fieldError(forgetInput, t("status.forget.missing"));
      forgetInput.focus();
      return;
    }
    var body = new URLSearchParams({ contact: forgetInput.value.trim() }).toString();
    var path = "/citizen/v1/requests/" + encodeURIComponent(record.service_request_id) + "/forget";
    T.api(path, { method: "POST", body: body, headers: { "Content-Type": "application/x-www-form-urlencoded" } }).then(
      function (answer) {
        if (!answer.ok) {
          var message = answer.status === 400 ? t("status.forget.invalid") : T.errorMessages(answer.data, answer.status).join(" ");
          T.fieldError(forgetInput, message);
          forgetInput.focus();
          return;
        }
        // The same words whether or not the contact was on the request: they tell nobody whose it is.
        forgetInput.value = "";
        forgetDone.textContent = t("status.forget.done");
        forgetDone.hidden = false;
      },
      function () {
        T.fieldError(forgetInput, t("error.network"));
      }
    );
  });

  lookup.addEventListener("submit", function (event) {
    event.preventDefault();
    var number = T.ticketNumber(input.value);
    if (window.history && window.history.replaceState) {
      var params = new URLSearchParams(window.location.search);
      params.set("id", number);
      window.history.replaceState(null, "", "/status?" + params.toString());
    }
    show(number);
  });
  I18N.onChange(render);

  var given = new URLSearchParams(window.location.search).get("id");
  if (given) {
    input.value = given;
    show(given);
  }
})();
