/* The address field of the citizen form as a combobox (the ARIA 1.2 pattern): the town's
 * addresses are suggested as they are typed, from /citizen/v1/addresses; choosing one (click,
 * or arrow keys and Enter) fills the field, sends its id as address_id and puts the pin on it
 * (form.js listens for "town311:address"). A pin dropped while the field is empty fills it
 * with the address under the pin, from /citizen/v1/addresses/nearest (form.js tells of each
 * drop with "town311:pin"). Without this script the field stays a plain text field. */
(function () {
  "use strict";
  var T = window.T311;
  var I18N = window.I18N;
  var t = I18N.t;

  var MIN_CHARS = 3;
  var DEBOUNCE_MS = 250;

  var input = document.getElementById("address");
  var idInput = document.getElementById("address-id");
  if (!T || !input || !idInput) return;

  var list = T.el("ul", { id: "address-suggestions", role: "listbox", class: "suggestions", hidden: true });
  input.parentNode.insertBefore(list, input.nextSibling);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("autocomplete", "off");

  var found = []; // the suggestions shown: {id, address, lat, long}
  var active = -1;
  var timer = null;
  var asked = 0; // the latest search, so an older answer arriving late is dropped
  // What the field holds was filled in by this script (a suggestion or the address under the
  // pin), not typed.
  var filled = false;

  function label() {
    list.setAttribute("aria-label", t("address.suggestions"));
  }

  function close() {
    found = [];
    active = -1;
    T.clear(list);
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function show(addresses) {
    close();
    found = addresses;
    if (!found.length) return;
    found.forEach(function (a, i) {
      list.appendChild(
        T.el("li", {
          id: "address-option-" + i,
          role: "option",
          "aria-selected": "false",
          text: a.address,
          // Pressing keeps the focus in the field; the click then chooses.
          onmousedown: function (event) {
            event.preventDefault();
          },
          onclick: function () {
            choose(i);
          },
        })
      );
    });
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    T.announce(I18N.tn("address.found", found.length));
  }

  function highlight(i) {
    active = i;
    Array.prototype.forEach.call(list.children, function (option, n) {
      option.setAttribute("aria-selected", n === i ? "true" : "false");
      if (n === i && option.scrollIntoView) option.scrollIntoView({ block: "nearest" });
    });
    if (i >= 0) input.setAttribute("aria-activedescendant", "address-option-" + i);
    else input.removeAttribute("aria-activedescendant");
  }

  function choose(i) {
    var a = found[i];
    if (!a) return;
    input.value = a.address;
    idInput.value = a.id;
    filled = true;
    close();
    document.dispatchEvent(new CustomEvent("town311:address", { detail: { lat: a.lat, lng: a.long } }));
    T.announce(t("address.chosen", { address: a.address }));
  }

  function search() {
    var q = input.value.trim();
    var mine = ++asked;
    if (q.replace(/[^0-9A-Za-z\u00C0-\u024F]/g, "").length < MIN_CHARS) {
      close();
      return;
    }
    T.api("/citizen/v1/addresses?q=" + encodeURIComponent(q)).then(
      function (answer) {
        if (mine !== asked || document.activeElement !== input) return;
        show(answer.ok && answer.data && Array.isArray(answer.data.addresses) ? answer.data.addresses : []);
      },
      function () {
        // Suggestions are a help: without them the field is typed as before.
        close();
      }
    );
  }

  input.addEventListener("input", function () {
    idInput.value = "";
    filled = false;
    window.clearTimeout(timer);
    timer = window.setTimeout(search, DEBOUNCE_MS);
  });

  input.addEventListener("keydown", function (event) {
    var open = !list.hidden && found.length > 0;
    if (event.key === "ArrowDown" || event.key === "Down") {
      event.preventDefault();
      if (open) highlight(active + 1 < found.length ? active + 1 : 0);
      else search();
    } else if (event.key === "ArrowUp" || event.key === "Up") {
      if (!open) return;
      event.preventDefault();
      highlight(active > 0 ? active - 1 : found.length - 1);
    } else if (event.key === "Enter") {
      // Enter chooses the highlighted address instead of sending the form.
      if (open && active >= 0) {
        event.preventDefault();
        choose(active);
      }
    } else if (event.key === "Escape" || event.key === "Esc") {
      if (open) {
        event.preventDefault();
        close();
      }
    }
  });

  input.addEventListener("blur", function () {
    window.clearTimeout(timer);
    asked++;
    close();
  });

  // A pin dropped on the map: the address under it, if the citizen has not typed one.
  document.addEventListener("town311:pin", function (event) {
    var point = event.detail || {};
    if (input.value.trim() && !filled) return;
    var mine = ++asked;
    T.api("/citizen/v1/addresses/nearest?lat=" + Number(point.lat).toFixed(6) + "&long=" + Number(point.lng).toFixed(6)).then(
      function (answer) {
        if (mine !== asked || (input.value.trim() && !filled)) return;
        var a = answer.ok && answer.data ? answer.data.address : null;
        input.value = a ? a.address : "";
        idInput.value = a ? a.id : "";
        filled = Boolean(a);
        if (a) T.announce(t("address.under_pin", { address: a.address }));
      },
      function () {
        /* the pin alone locates the report */
      }
    );
  });

  // Another report starts from an empty field.
  if (input.form) {
    input.form.addEventListener("reset", function () {
      idInput.value = "";
      filled = false;
      close();
    });
  }

  label();
  I18N.onChange(label);
})();
