/* Shared helpers of the town311 pages: API calls, Open311 errors, field errors, dates, the
 * live region, and the service questions renderer. No dependencies. */
(function () {
  "use strict";
  var I18N = window.I18N;
  var t = I18N.t;
  // The page's settings: the data block the server puts in every page (a page kept from an
  // earlier release loads them as a script instead).
  var block = document.getElementById("town311-config");
  if (block && !window.TOWN311_CONFIG) {
    try {
      window.TOWN311_CONFIG = JSON.parse(block.textContent);
    } catch (e) {
      window.TOWN311_CONFIG = {};
    }
  }
  var config = window.TOWN311_CONFIG || {};

  /** Creates an element: el("p", {class: "x", text: "hi"}, [children]). */
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === undefined || value === null || value === false) return;
      if (name === "text") node.textContent = value;
      else if (name === "class") node.className = value;
      else if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  /** The descriptions of an Open311 error list (`[{code, description}]`), or of API Gateway's
   * own `{"message": …}`. */
  function errorMessages(data, status) {
    if (Array.isArray(data)) {
      var list = data
        .map(function (e) {
          return e && e.description;
        })
        .filter(Boolean);
      if (list.length) return list;
    }
    if (data && typeof data.message === "string") {
      if (status === 401) return [t("error.signin")];
      return [data.message];
    }
    if (status === 401) return [t("error.signin")];
    return [t("error.generic", { status: status || "?" })];
  }

  /** Calls the API on this origin. Resolves to {ok, status, data, etag}; rejects only when the
   * network fails. */
  function api(path, options) {
    options = options || {};
    var headers = Object.assign({ Accept: "application/json" }, options.headers || {});
    var body = options.body;
    if (options.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.json);
    }
    if (options.token) headers.Authorization = "Bearer " + options.token;
    return fetch(path, {
      method: options.method || "GET",
      headers: headers,
      body: body,
      credentials: "same-origin",
    }).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try {
          data = text ? JSON.parse(text) : null;
        } catch (e) {
          data = null;
        }
        return {
          ok: response.ok,
          status: response.status,
          data: data,
          etag: response.headers.get("etag"),
        };
      });
    });
  }

  var announcer = null;
  /** Says `message` through the page's polite live region. */
  function announce(message) {
    announcer = announcer || document.getElementById("announcer");
    if (!announcer) return;
    announcer.textContent = "";
    window.setTimeout(function () {
      announcer.textContent = message;
    }, 50);
  }

  /** Shows (or with an empty message removes) the error tied to a field by aria-describedby. */
  function fieldError(input, message) {
    if (!input) return;
    var id = (input.id || input.getAttribute("data-error-id")) + "-error";
    var existing = document.getElementById(id);
    var described = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (x) {
      return x && x !== id;
    });
    if (!message) {
      if (existing) existing.remove();
      input.removeAttribute("aria-invalid");
      if (described.length) input.setAttribute("aria-describedby", described.join(" "));
      else input.removeAttribute("aria-describedby");
      return;
    }
    if (!existing) {
      existing = el("p", { id: id, class: "field-error" });
      var anchor = input.closest(".field, fieldset") || input.parentNode;
      anchor.appendChild(existing);
    }
    existing.textContent = message;
    input.setAttribute("aria-invalid", "true");
    described.push(id);
    input.setAttribute("aria-describedby", described.join(" "));
  }

  /** Fills an error summary with [{input, message}] (links move focus to the field) and focuses it. */
  function errorSummary(summary, errors) {
    clear(summary);
    if (!errors.length) {
      summary.hidden = true;
      return;
    }
    var list = el("ul");
    errors.forEach(function (error) {
      var item;
      if (error.input && error.input.id) {
        item = el("a", {
          href: "#" + error.input.id,
          text: error.message,
          onclick: function (event) {
            event.preventDefault();
            error.input.focus();
          },
        });
      } else {
        item = document.createTextNode(error.message);
      }
      list.appendChild(el("li", {}, [item]));
    });
    summary.appendChild(el("h2", { text: t("errors.heading") }));
    summary.appendChild(list);
    summary.hidden = false;
    summary.focus();
  }

  function locale() {
    return I18N.lang === "es" ? "es" : "en-US";
  }

  function formatter(options) {
    var withZone = Object.assign({}, options);
    if (config.timezone) withZone.timeZone = config.timezone;
    try {
      return new Intl.DateTimeFormat(locale(), withZone);
    } catch (e) {
      return new Intl.DateTimeFormat(locale(), options);
    }
  }

  /** A date and time in the town's timezone and the page's language. */
  function dateTime(iso) {
    if (!iso) return "";
    var date = new Date(iso);
    if (isNaN(date.getTime())) return iso;
    return formatter({ weekday: "short", year: "numeric", month: "short", day: "numeric", hour: "numeric", minute: "2-digit" }).format(date);
  }

  /** Normalises a typed ticket number: upper case, a dash after four characters. */
  function ticketNumber(text) {
    var compact = String(text || "")
      .toUpperCase()
      .replace(/[^0-9A-Z]/g, "");
    if (compact.length === 8) return compact.slice(0, 4) + "-" + compact.slice(4);
    return compact;
  }

  function distance(metres) {
    var rounded = Math.round(metres);
    return t("nearby.metres", { n: rounded });
  }

  /** "Stop and call instead": the town's words and, when given, a button to call. */
  function stopNotice(stop) {
    var phone = stop.phone || "";
    return el("div", { class: "stop-notice" }, [
      el("p", { class: "stop-heading", text: t("stop.heading") }),
      el("p", { text: stop.text }),
      phone ? el("p", {}, [el("a", { class: "button", href: "tel:" + phone.replace(/[^\d+]/g, ""), text: t("stop.call", { phone: phone }) })]) : null,
    ]);
  }

  /**
   * Renders a service definition's questions into `container`; gives
   * {fields, collect(), validate()}: collect() answers as {CODE: value | [values]},
   * validate() [{input, message}] for required questions left empty, bad numbers and answers
   * that mean "stop and call instead". A question with `shown_if` is shown (and asked) only
   * while the earlier question it names has one of its answers.
   */
  function renderQuestions(container, definition, prefix) {
    clear(container);
    var questions = (definition && definition.attributes ? definition.attributes.slice() : []).sort(function (a, b) {
      return a.order - b.order;
    });
    var readers = [];
    var byCode = {};
    questions.forEach(function (q) {
      var id = prefix + "-q-" + q.code;
      if (!q.variable) {
        container.appendChild(el("p", { class: "note", text: q.description }));
        return;
      }
      var requiredMark = q.required ? " " + t("required.mark") : " " + t("optional.mark");
      var hint = q.datatype_description ? el("span", { class: "hint", id: id + "-hint", text: q.datatype_description }) : null;
      var reader;
      if (q.datatype === "singlevaluelist" || q.datatype === "multivaluelist") {
        var multi = q.datatype === "multivaluelist";
        var set = el("fieldset", { id: id, "data-error-id": id, tabindex: "-1" });
        set.appendChild(el("legend", { text: q.description + requiredMark }));
        if (hint) set.appendChild(hint);
        var inputs = (q.values || []).map(function (value, i) {
          var inputId = id + "-" + i;
          var input = el("input", {
            type: multi ? "checkbox" : "radio",
            name: id,
            id: inputId,
            value: value.key,
          });
          set.appendChild(el("div", { class: "choice" }, [input, el("label", { for: inputId, text: value.name })]));
          return input;
        });
        var stopBox = el("div", { class: "stop", role: "alert", hidden: true });
        set.appendChild(stopBox);
        container.appendChild(set);
        reader = {
          code: q.code,
          required: q.required,
          focusTarget: inputs[0] || set,
          errorTarget: set,
          box: set,
          read: function () {
            var chosen = inputs
              .filter(function (i) {
                return i.checked;
              })
              .map(function (i) {
                return i.value;
              });
            return multi ? chosen : chosen[0] || "";
          },
          /** The stop of a chosen answer, if one means "call instead". */
          stop: function () {
            var keys = [].concat(reader.read());
            var found = (q.values || []).filter(function (v) {
              return v.stop && keys.indexOf(v.key) >= 0;
            })[0];
            return found ? found.stop : null;
          },
          showStop: function () {
            var stop = reader.shown() ? reader.stop() : null;
            clear(stopBox);
            if (stop) stopBox.appendChild(stopNotice(stop));
            stopBox.hidden = !stop;
          },
        };
      } else {
        var field = el("div", { class: "field" });
        field.appendChild(el("label", { for: id, text: q.description + requiredMark }));
        if (hint) field.appendChild(hint);
        var input;
        if (q.datatype === "text") {
          input = el("textarea", { id: id, rows: "3", maxlength: "4000" });
        } else if (q.datatype === "number") {
          input = el("input", { id: id, type: "text", inputmode: "decimal" });
        } else if (q.datatype === "datetime") {
          input = el("input", { id: id, type: "datetime-local" });
        } else {
          input = el("input", { id: id, type: "text", maxlength: "4000" });
        }
        if (q.required) input.setAttribute("aria-required", "true");
        if (hint) input.setAttribute("aria-describedby", id + "-hint");
        field.appendChild(input);
        container.appendChild(field);
        reader = {
          code: q.code,
          required: q.required,
          datatype: q.datatype,
          focusTarget: input,
          errorTarget: input,
          box: field,
          // A browser's datetime-local value is the town's local time: the API reads it so.
          read: function () {
            return input.value.trim();
          },
        };
      }
      reader.shown = function () {
        var condition = q.shown_if;
        if (!condition) return true;
        var on = byCode[condition.attribute];
        if (!on || !on.shown()) return false;
        var given = [].concat(on.read());
        return condition.values.some(function (v) {
          return given.indexOf(v) >= 0;
        });
      };
      byCode[q.code] = reader;
      readers.push(reader);
    });
    /** Shows the questions whose condition holds and the stops of the answers chosen. */
    function refresh() {
      readers.forEach(function (r) {
        r.box.hidden = !r.shown();
        if (r.showStop) r.showStop();
      });
    }
    container.addEventListener("change", refresh);
    refresh();
    var live = function () {
      return readers.filter(function (r) {
        return r.shown();
      });
    };
    return {
      count: readers.length,
      collect: function () {
        var answers = {};
        live().forEach(function (r) {
          var value = r.read();
          if (Array.isArray(value) ? value.length : value) answers[r.code] = value;
        });
        return answers;
      },
      validate: function () {
        var errors = [];
        readers.forEach(function (r) {
          fieldError(r.errorTarget, "");
        });
        live().forEach(function (r) {
          var value = r.read();
          var empty = Array.isArray(value) ? !value.length : !value;
          var message = "";
          var stop = r.stop ? r.stop() : null;
          if (stop) message = stop.text;
          else if (r.required && empty) message = t("error.answer_required");
          else if (!empty && r.datatype === "number" && !isFinite(Number(value.replace(",", ".")))) message = t("error.number");
          fieldError(r.errorTarget, message);
          if (message) errors.push({ input: r.focusTarget, message: message, code: r.code });
        });
        return errors;
      },
      /** The field of `attribute[CODE]`, to tie a server error to. */
      fieldFor: function (code) {
        var r = byCode[code];
        return r ? { input: r.focusTarget, errorTarget: r.errorTarget } : null;
      },
    };
  }

  /** The town's banner, on pages that have a place for it, in the page's language. */
  function banner() {
    var box = document.getElementById("banner");
    if (!box) return;
    var shown = null;
    function render() {
      var text = shown ? (I18N.lang === "es" && shown.text_es) || shown.text : "";
      document.getElementById("banner-text").textContent = text;
      box.hidden = !text;
    }
    api("/citizen/v1/banner").then(function (answer) {
      shown = answer.ok && answer.data ? answer.data.banner : null;
      render();
    }, function () {});
    I18N.onChange(render);
  }

  /** Language switch button, page title and town name: shared page chrome. */
  function chrome() {
    var town = document.querySelectorAll("[data-town]");
    Array.prototype.forEach.call(town, function (node) {
      node.textContent = config.town_name || "";
    });
    if (window.self !== window.top || /[?&]embed=1/.test(window.location.search)) {
      document.body.classList.add("embedded");
      // Tells the embedding page (embed.js) how tall the page is, so its frame fits.
      if (window.parent !== window && window.ResizeObserver) {
        new ResizeObserver(function () {
          window.parent.postMessage({ town311Height: document.documentElement.scrollHeight }, "*");
        }).observe(document.body);
      }
    }
  }

  /** A Leaflet map of OpenStreetMap tiles in `box`, or null when Leaflet is missing or cannot
   * draw there. `tilesFailed` is called once, the first time a tile does not load. */
  function osmMap(box, center, zoom, tilesFailed) {
    var L = window.L;
    if (!L || !box) return null;
    var map;
    try {
      map = L.map(box, { center: center, zoom: zoom, scrollWheelZoom: false });
    } catch (e) {
      return null;
    }
    map.attributionControl.setPrefix(false);
    var tiles = L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
      maxZoom: 19,
      attribution: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>',
    });
    if (tilesFailed) tiles.once("tileerror", tilesFailed);
    tiles.addTo(map);
    return map;
  }

  window.T311 = {
    osmMap: osmMap,
    config: config,
    el: el,
    clear: clear,
    api: api,
    announce: announce,
    errorMessages: errorMessages,
    fieldError: fieldError,
    errorSummary: errorSummary,
    dateTime: dateTime,
    ticketNumber: ticketNumber,
    distance: distance,
    renderQuestions: renderQuestions,
    stopNotice: stopNotice,
    chrome: chrome,
  };
  chrome();
  banner();
})();
