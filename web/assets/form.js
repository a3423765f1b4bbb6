/* The citizen form: pick a service, answer its questions, place it, add photos, describe,
 * optionally leave a contact; nearby open requests of the same service are offered to follow
 * instead; the confirmation shows the ticket number, the expected date and who to call. */
(function () {
  "use strict";
  var T = window.T311;
  var I18N = window.I18N;
  var t = I18N.t;
  var el = T.el;

  var MAX_PHOTOS = 3;
  var MAX_SIDE = 1600;
  var PHOTO_BUDGET = 1200 * 1024; // per photo, so three fit the 4 MB request limit
  var NEARBY_RADIUS = 100;

  var form = document.getElementById("request-form");
  var summary = document.getElementById("error-summary");
  var serviceList = document.getElementById("service-list");
  var search = document.getElementById("service-search");
  var serviceCount = document.getElementById("service-count");
  var questionsStep = document.getElementById("questions-step");
  var questionsBox = document.getElementById("questions");
  var latInput = document.getElementById("lat");
  var longInput = document.getElementById("long");
  var addressInput = document.getElementById("address");
  var photoInput = document.getElementById("photos");
  var photoList = document.getElementById("photo-list");
  var submitButton = document.getElementById("submit");
  var nearbyBox = document.getElementById("nearby");
  var nearbyList = document.getElementById("nearby-list");
  var locationStep = document.getElementById("location-step");
  var serviceStop = document.getElementById("service-stop");
  var phoneInput = document.getElementById("phone");
  var phoneNote = document.getElementById("phone-note");
  // What a service that asks to call instead hides: everything after the choice of service.
  var afterService = ["questions-step", "location-step", "photo-step", "description-field", "contact-step", "submit-actions"];

  var services = [];
  var chosen = null; // the chosen service record
  var questions = null; // renderQuestions() of the chosen service
  var photos = []; // {blob, url, name}
  var map = null;
  var marker = null;
  var nearbySupported = true;
  var nearbyTimer = null;
  var idempotencyKey = newKey();

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    return String(Date.now()) + "-" + Math.random().toString(36).slice(2);
  }

  /* ---- services ---- */

  function fold(text) {
    return String(text || "")
      .toLowerCase()
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "");
  }

  function renderServices() {
    T.clear(serviceList);
    var groups = [];
    var byGroup = {};
    services.forEach(function (s) {
      var group = s.group || t("form.service.other");
      if (!byGroup[group]) {
        byGroup[group] = [];
        groups.push(group);
      }
      byGroup[group].push(s);
    });
    groups.forEach(function (group, gi) {
      var set = el("fieldset", { "data-group": group });
      set.appendChild(el("legend", { text: group }));
      byGroup[group].forEach(function (s) {
        var id = "service-" + s.service_code;
        var input = el("input", { type: "radio", name: "service_code", id: id, value: s.service_code });
        input.addEventListener("change", function () {
          choose(s);
        });
        var label = el("label", { for: id }, [el("span", { class: "name", text: s.service_name }), el("span", { class: "desc", text: s.description })]);
        var row = el("div", { class: "choice", "data-search": fold([s.service_name, s.description, s.keywords, s.group].join(" ")) }, [input, label]);
        set.appendChild(row);
      });
      serviceList.appendChild(set);
    });
    filterServices();
  }

  function filterServices() {
    var words = fold(search.value).split(/\s+/).filter(Boolean);
    var shown = 0;
    Array.prototype.forEach.call(serviceList.querySelectorAll("fieldset"), function (set) {
      var visible = 0;
      Array.prototype.forEach.call(set.querySelectorAll(".choice"), function (row) {
        var text = row.getAttribute("data-search");
        var match = words.every(function (w) {
          return text.indexOf(w) >= 0;
        });
        var checked = row.querySelector("input").checked;
        row.hidden = !match && !checked;
        if (!row.hidden) visible += 1;
      });
      set.hidden = visible === 0;
      shown += visible;
    });
    serviceCount.textContent = words.length ? (shown ? I18N.tn("form.service.count", shown) : t("form.service.none")) : "";
  }

  /** Whether the chosen service needs a place: required, optional or none. */
  function placeNeed() {
    return (chosen && chosen.location) || "required";
  }

  /** Shows the service's "call instead" and hides the rest of the form, or the form again. */
  function showServiceStop(service) {
    var stop = service && service.stop;
    T.clear(serviceStop);
    if (stop) serviceStop.appendChild(T.stopNotice(stop));
    serviceStop.hidden = !stop;
    afterService.forEach(function (id) {
      var node = document.getElementById(id);
      if (id === "questions-step") {
        if (stop) node.hidden = true;
      } else {
        node.hidden = !!stop;
      }
    });
    locationStep.hidden = !!stop || placeNeed() === "none";
    document.getElementById("location-optional").hidden = placeNeed() !== "optional";
    if (map && !locationStep.hidden) map.invalidateSize();
  }

  function choose(service) {
    chosen = service;
    T.fieldError(document.getElementById("service-step"), "");
    questions = null;
    T.clear(questionsBox);
    questionsStep.hidden = true;
    showServiceStop(service);
    if (service.stop) return;
    if (service.metadata) {
      T.api("/open311/v2/services/" + encodeURIComponent(service.service_code) + ".json").then(function (answer) {
        if (chosen !== service) return;
        if (!answer.ok) {
          T.announce(T.errorMessages(answer.data, answer.status).join(" "));
          return;
        }
        questions = T.renderQuestions(questionsBox, answer.data, "form");
        questionsStep.hidden = questionsBox.childNodes.length === 0;
      }, networkTrouble);
    }
    scheduleNearby();
  }

  /* ---- location ---- */

  function coordinates() {
    var lat = parseFloat(latInput.value.replace(",", "."));
    var lng = parseFloat(longInput.value.replace(",", "."));
    if (!isFinite(lat) || !isFinite(lng) || Math.abs(lat) > 90 || Math.abs(lng) > 180) return null;
    return { lat: lat, lng: lng };
  }

  function setCoordinates(lat, lng, fromMap) {
    latInput.value = lat.toFixed(6);
    longInput.value = lng.toFixed(6);
    T.fieldError(latInput, "");
    T.fieldError(longInput, "");
    placeMarker(lat, lng, !fromMap);
    scheduleNearby();
    // address.js fills an empty address field with the address under a dropped pin.
    if (fromMap) document.dispatchEvent(new CustomEvent("town311:pin", { detail: { lat: lat, lng: lng } }));
  }

  function placeMarker(lat, lng, pan) {
    if (!map) return;
    var point = [lat, lng];
    if (!marker) {
      marker = window.L.marker(point, { draggable: true, keyboard: true, alt: t("form.location.pin"), title: t("form.location.pin") }).addTo(map);
      marker.on("dragend", function () {
        var p = marker.getLatLng();
        setCoordinates(p.lat, p.lng, true);
      });
    } else {
      marker.setLatLng(point);
    }
    if (pan) map.setView(point, Math.max(map.getZoom(), 16));
  }

  function startMap() {
    var L = window.L;
    var box = document.getElementById("map");
    if (!L || !box) return; // the fields alone still work
    var center = (T.config.map_center || [0, 0]).slice(0, 2);
    box.hidden = false;
    document.getElementById("map-help").hidden = false;
    map = T.osmMap(box, center, T.config.map_center ? 14 : 2, function () {
      document.getElementById("map-note").hidden = false;
    });
    if (!map) {
      box.hidden = true;
      return;
    }
    map.on("click", function (event) {
      setCoordinates(event.latlng.lat, event.latlng.lng, true);
    });
    box.setAttribute("aria-label", t("form.location.map"));
    box.setAttribute("aria-describedby", "map-help");
  }

  function typedCoordinates() {
    var c = coordinates();
    if (c) {
      placeMarker(c.lat, c.lng, true);
      scheduleNearby();
    }
  }

  function useMyLocation() {
    if (!navigator.geolocation) {
      T.announce(t("form.location.unavailable"));
      return;
    }
    T.announce(t("form.location.finding"));
    navigator.geolocation.getCurrentPosition(
      function (position) {
        setCoordinates(position.coords.latitude, position.coords.longitude, false);
        T.announce(t("form.location.found"));
      },
      function () {
        T.announce(t("form.location.denied"));
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  }

  /* ---- photos ---- */

  function loadImage(url) {
    return new Promise(function (resolve, reject) {
      var img = new Image();
      img.onload = function () {
        resolve(img);
      };
      img.onerror = reject;
      img.src = url;
    });
  }

  function encode(img, maxSide, quality) {
    var w = img.naturalWidth;
    var h = img.naturalHeight;
    var scale = Math.min(1, maxSide / Math.max(w, h));
    var canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(w * scale));
    canvas.height = Math.max(1, Math.round(h * scale));
    var ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    return new Promise(function (resolve, reject) {
      canvas.toBlob(
        function (blob) {
          if (blob) resolve(blob);
          else reject(new Error("encoding failed"));
        },
        "image/jpeg",
        quality
      );
    });
  }

  /** A JPEG of at most MAX_SIDE pixels a side, smaller still until it fits the budget. */
  function downscale(file) {
    var url = URL.createObjectURL(file);
    return loadImage(url)
      .then(function (img) {
        var attempts = [
          [MAX_SIDE, 0.82],
          [1280, 0.75],
          [1024, 0.7],
        ];
        function attempt(i) {
          return encode(img, attempts[i][0], attempts[i][1]).then(function (blob) {
            if (blob.size <= PHOTO_BUDGET || i === attempts.length - 1) return blob;
            return attempt(i + 1);
          });
        }
        return attempt(0);
      })
      .finally(function () {
        URL.revokeObjectURL(url);
      });
  }

  function addPhotos() {
    var files = Array.prototype.slice.call(photoInput.files || []);
    photoInput.value = "";
    T.fieldError(photoInput, "");
    var room = MAX_PHOTOS - photos.length;
    if (files.length > room) T.fieldError(photoInput, t("form.photos.too_many", { n: MAX_PHOTOS }));
    files = files.slice(0, Math.max(0, room));
    if (!files.length) return;
    T.announce(t("form.photos.preparing"));
    Promise.all(
      files.map(function (file) {
        return downscale(file).then(
          function (blob) {
            return blob;
          },
          function () {
            // Not decodable here (e.g. HEIC in some browsers): send it as it is if it fits.
            return file.size <= PHOTO_BUDGET ? file : null;
          }
        );
      })
    ).then(function (blobs) {
      var unreadable = 0;
      blobs.forEach(function (blob) {
        if (!blob) {
          unreadable += 1;
          return;
        }
        if (photos.length < MAX_PHOTOS) photos.push({ blob: blob, url: URL.createObjectURL(blob) });
      });
      if (unreadable) T.fieldError(photoInput, t("form.photos.unreadable"));
      renderPhotos();
      T.announce(t("form.photos.count", { n: photos.length, max: MAX_PHOTOS }));
    });
  }

  function renderPhotos() {
    T.clear(photoList);
    photos.forEach(function (photo, i) {
      var n = i + 1;
      var remove = el("button", {
        type: "button",
        class: "secondary",
        text: t("form.photos.remove", { n: n }),
        onclick: function () {
          URL.revokeObjectURL(photo.url);
          photos.splice(i, 1);
          renderPhotos();
          T.announce(t("form.photos.count", { n: photos.length, max: MAX_PHOTOS }));
          photoInput.focus();
        },
      });
      photoList.appendChild(el("li", {}, [el("img", { src: photo.url, alt: t("form.photos.alt", { n: n }) }), remove]));
    });
    photoInput.disabled = photos.length >= MAX_PHOTOS;
  }

  /* ---- nearby requests ---- */

  function scheduleNearby() {
    if (!nearbySupported) return;
    window.clearTimeout(nearbyTimer);
    nearbyTimer = window.setTimeout(loadNearby, 400);
  }

  function loadNearby() {
    var c = coordinates();
    if (!chosen || !c || placeNeed() === "none" || chosen.private) {
      nearbyBox.hidden = true;
      return;
    }
    var query = "service_code=" + encodeURIComponent(chosen.service_code) + "&lat=" + c.lat + "&long=" + c.lng + "&radius=" + NEARBY_RADIUS;
    T.api("/citizen/v1/nearby?" + query).then(function (answer) {
      if (answer.status === 404) {
        nearbySupported = false; // not offered by this deployment: the form goes on without it
        nearbyBox.hidden = true;
        return;
      }
      var found = answer.ok && answer.data && Array.isArray(answer.data.requests) ? answer.data.requests : [];
      renderNearby(found);
    }, function () {
      nearbyBox.hidden = true;
    });
  }

  function renderNearby(requests) {
    T.clear(nearbyList);
    nearbyBox.hidden = requests.length === 0;
    if (!requests.length) return;
    requests.forEach(function (r) {
      var where = r.address || t("nearby.no_address");
      var facts = [
        r.service_name || "",
        where,
        T.distance(r.distance_m || 0),
        t("nearby.reported", { when: T.dateTime(r.requested_datetime) }),
      ].filter(Boolean);
      var follow = el("button", {
        type: "button",
        class: "secondary",
        text: t("nearby.follow"),
        "aria-describedby": "nearby-" + r.service_request_id,
        onclick: function () {
          followInstead(r.service_request_id, follow);
        },
      });
      nearbyList.appendChild(
        el("li", {}, [
          el("p", { id: "nearby-" + r.service_request_id }, [
            el("a", { href: "/status?id=" + encodeURIComponent(r.service_request_id), text: r.service_request_id }),
            " · " + facts.join(" · "),
          ]),
          follow,
        ])
      );
    });
    T.announce(I18N.tn("nearby.found", requests.length));
  }

  function contactChoice() {
    var checked = form.querySelector("input[name=notify_by]:checked");
    return checked ? checked.value : "";
  }

  function followInstead(id, button) {
    var email = document.getElementById("email");
    var phone = document.getElementById("phone");
    T.fieldError(email, "");
    if (!email.value.trim() && !phone.value.trim()) {
      T.fieldError(email, t("nearby.need_contact"));
      email.focus();
      return;
    }
    var body = { language: I18N.lang };
    if (email.value.trim()) body.email = email.value.trim();
    if (phone.value.trim()) body.phone = phone.value.trim();
    var by = contactChoice();
    if ((by === "email" && body.email) || (by === "sms" && body.phone)) body.notify_by = by;
    else body.notify_by = body.email ? "email" : "sms";
    button.disabled = true;
    T.api("/citizen/v1/requests/" + encodeURIComponent(id) + "/follow", { method: "POST", json: body }).then(
      function (answer) {
        button.disabled = false;
        if (answer.ok) {
          var followed = (answer.data && answer.data.service_request_id) || id;
          showPanel("following", followed);
          return;
        }
        if (answer.status === 404 && !(Array.isArray(answer.data))) {
          nearbySupported = false;
          nearbyBox.hidden = true;
        }
        T.errorSummary(summary, T.errorMessages(answer.data, answer.status).map(function (m) {
          return { message: m };
        }));
      },
      function () {
        button.disabled = false;
        networkTrouble();
      }
    );
  }

  /* ---- submitting ---- */

  function validate() {
    var errors = [];
    var add = function (input, message) {
      T.fieldError(input, message);
      if (message) errors.push({ input: input, message: message });
    };
    form.querySelectorAll("[aria-invalid=true]").forEach(function (node) {
      T.fieldError(node, "");
    });
    var serviceStep = document.getElementById("service-step");
    T.fieldError(serviceStep, chosen ? "" : t("error.service"));
    if (!chosen) errors.push({ input: serviceList.querySelector("input") || serviceList, message: t("error.service") });
    if (questions) errors = errors.concat(questions.validate());
    var latText = latInput.value.trim();
    var longText = longInput.value.trim();
    if (placeNeed() === "none") {
      // Not about a place: nothing here is sent.
    } else if (latText || longText) {
      if (!coordinates()) {
        add(latInput, t("error.coordinates"));
      }
    } else if (!addressInput.value.trim() && placeNeed() === "required") {
      add(addressInput, t("error.location"));
    }
    var email = document.getElementById("email");
    var phone = document.getElementById("phone");
    if (email.value.trim() && !email.validity.valid) add(email, t("error.email"));
    var by = contactChoice();
    var notify = document.getElementById("notify-by");
    if (by === "sms" && !phone.value.trim() && email.value.trim()) add(notify, t("error.sms_needs_phone"));
    return errors;
  }

  /** Ties the API's Open311 error descriptions to the fields they name. */
  function serverErrors(messages) {
    return messages.map(function (message) {
      var input = null;
      var attribute = /attribute\[([^\]]+)\]/.exec(message);
      if (attribute && questions) {
        var f = questions.fieldFor(attribute[1]);
        if (f) {
          T.fieldError(f.errorTarget, message);
          return { input: f.input, message: message };
        }
      }
      var named = [
        [/\blat\b|\blong\b|latitude|longitude|location|address/i, latInput.value ? latInput : addressInput],
        [/email/i, document.getElementById("email")],
        [/phone/i, document.getElementById("phone")],
        [/description/i, document.getElementById("description")],
        [/photo|image|media/i, photoInput],
        [/service_code/i, serviceList.querySelector("input")],
      ];
      for (var i = 0; i < named.length; i++) {
        if (named[i][0].test(message)) {
          input = named[i][1];
          break;
        }
      }
      if (input) T.fieldError(input, message);
      return { input: input, message: message };
    });
  }

  function submit(event) {
    event.preventDefault();
    var errors = validate();
    if (errors.length) {
      T.errorSummary(summary, errors);
      return;
    }
    summary.hidden = true;
    var data = new FormData();
    data.append("service_code", chosen.service_code);
    var c = placeNeed() === "none" ? null : coordinates();
    if (c) {
      data.append("lat", c.lat.toFixed(6));
      data.append("long", c.lng.toFixed(6));
    }
    var fields = [["description", "description"], ["first_name", "first_name"], ["last_name", "last_name"], ["email", "email"], ["phone", "phone"]];
    if (placeNeed() !== "none") fields.unshift(["address_string", "address"], ["address_id", "address-id"]);
    fields.forEach(function (pair) {
      var value = document.getElementById(pair[1]).value.trim();
      if (value) data.append(pair[0], value);
    });
    var email = document.getElementById("email").value.trim();
    var phone = document.getElementById("phone").value.trim();
    var by = contactChoice();
    if ((by === "email" && email) || (by === "sms" && phone)) data.append("notify_by", by);
    // Updates come in the language the form is read in.
    data.append("language", I18N.lang);
    // The token the settings script was served with: the town's own form needs no api_key.
    var formToken = (window.TOWN311_CONFIG || {}).form_token;
    if (formToken) data.append("form_token", formToken);
    if (questions) {
      var answers = questions.collect();
      Object.keys(answers).forEach(function (code) {
        var value = answers[code];
        if (Array.isArray(value)) {
          value.forEach(function (v) {
            data.append("attribute[" + code + "][]", v);
          });
        } else {
          data.append("attribute[" + code + "]", value);
        }
      });
    }
    photos.forEach(function (photo, i) {
      data.append("photo" + (i + 1), photo.blob, "photo" + (i + 1) + ".jpg");
    });
    submitButton.disabled = true;
    T.announce(t("form.sending"));
    T.api("/open311/v2/requests.json", { method: "POST", body: data, headers: { "Idempotency-Key": idempotencyKey } }).then(
      function (answer) {
        submitButton.disabled = false;
        if (!answer.ok || !Array.isArray(answer.data) || !answer.data[0]) {
          T.errorSummary(summary, serverErrors(T.errorMessages(answer.data, answer.status)));
          return;
        }
        confirmed(answer.data[0]);
      },
      function () {
        submitButton.disabled = false;
        networkTrouble();
      }
    );
  }

  function networkTrouble() {
    T.errorSummary(summary, [{ message: t("error.network") }]);
  }

  function ticketFor(created) {
    if (created.service_request_id) return Promise.resolve(created.service_request_id);
    if (!created.token) return Promise.resolve(null);
    return T.api("/open311/v2/tokens/" + encodeURIComponent(created.token) + ".json").then(function (answer) {
      return answer.ok && Array.isArray(answer.data) && answer.data[0] ? answer.data[0].service_request_id : null;
    });
  }

  function confirmed(created) {
    idempotencyKey = newKey();
    ticketFor(created).then(function (id) {
      // The answer carries the confirmation's parts: the promise and who to call.
      var contactBox = document.getElementById("confirm-contact");
      T.clear(contactBox);
      if (created.department_phone || created.department_email) {
        if (created.department_phone) {
          contactBox.appendChild(
            el("a", { href: "tel:" + created.department_phone.replace(/[^\d+]/g, ""), text: created.department_phone })
          );
        }
        if (created.department_phone && created.department_email) contactBox.appendChild(document.createTextNode(" · "));
        if (created.department_email) {
          contactBox.appendChild(el("a", { href: "mailto:" + created.department_email, text: created.department_email }));
        }
      } else {
        contactBox.textContent = created.service_notice || "";
      }
      document.getElementById("confirm-id").textContent = id || created.token || "";
      document.getElementById("confirm-expected").textContent = created.expected_datetime
        ? T.dateTime(created.expected_datetime)
        : t("confirm.expected_unknown");
      document.getElementById("confirm-department").textContent = created.department_name || "";
      showUpdates(created.updates_by);
      var link = document.getElementById("confirm-status");
      link.hidden = !id;
      if (id) link.href = "/status?id=" + encodeURIComponent(id);
      showPanel("confirmation");
    });
  }

  /** How updates will come, as the answer says, and why not by the phone when it cannot be texted. */
  function showUpdates(by) {
    var text = "";
    var typedPhone = phoneInput.value.trim();
    var typedEmail = document.getElementById("email").value.trim();
    if (by === "email") text = typedPhone && !textable(typedPhone) ? t("confirm.updates.phone_kept") : t("confirm.updates.email");
    else if (by === "sms") text = t("confirm.updates.sms");
    else if (by === "none") text = typedPhone || typedEmail ? t("confirm.updates.unusable") : t("confirm.updates.none");
    document.getElementById("confirm-updates").textContent = text;
    document.getElementById("confirm-updates").hidden = !text;
    document.getElementById("confirm-updates-term").hidden = !text;
  }

  /** Whether a typed phone number can become one the town texts (as the API reads it). */
  function textable(typed) {
    if (!/^\+?[\d\s().-]+$/.test(typed) || typed.indexOf("+", 1) > 0) return false;
    var digits = typed.replace(/\D/g, "");
    if (typed.charAt(0) === "+") return digits.length >= 8 && digits.length <= 15;
    return digits.length === 10 || (digits.length === 11 && digits.charAt(0) === "1");
  }

  function notePhone() {
    var typed = phoneInput.value.trim();
    phoneNote.textContent = typed && !textable(typed) ? t("form.contact.phone_untextable") : "";
  }

  function showPanel(which, id) {
    form.hidden = true;
    var panel = document.getElementById(which);
    if (which === "following") {
      document.getElementById("following-id").textContent = id;
      document.getElementById("following-status").href = "/status?id=" + encodeURIComponent(id);
    }
    panel.hidden = false;
    panel.focus();
    window.scrollTo(0, 0);
  }

  function another() {
    form.reset();
    chosen = null;
    questions = null;
    T.clear(questionsBox);
    questionsStep.hidden = true;
    showServiceStop(null);
    notePhone();
    photos.forEach(function (p) {
      URL.revokeObjectURL(p.url);
    });
    photos = [];
    renderPhotos();
    nearbyBox.hidden = true;
    if (marker && map) {
      map.removeLayer(marker);
      marker = null;
    }
    filterServices();
    document.getElementById("confirmation").hidden = true;
    document.getElementById("following").hidden = true;
    form.hidden = false;
    search.focus();
  }

  /* ---- start ---- */

  function start() {
    T.api("/open311/v2/services.json").then(
      function (answer) {
        document.getElementById("loading").hidden = true;
        if (!answer.ok || !Array.isArray(answer.data)) {
          document.getElementById("loading").hidden = false;
          document.getElementById("loading").textContent = T.errorMessages(answer.data, answer.status).join(" ");
          return;
        }
        services = answer.data.filter(function (s) {
          return !/(^|,)\s*(private|inactive|staff)\s*(,|$)/i.test(s.keywords || "");
        });
        renderServices();
        form.hidden = false;
        startMap();
      },
      function () {
        document.getElementById("loading").textContent = t("error.network");
      }
    );
    search.addEventListener("input", filterServices);
    latInput.addEventListener("change", typedCoordinates);
    longInput.addEventListener("change", typedCoordinates);
    document.getElementById("use-location").addEventListener("click", useMyLocation);
    photoInput.addEventListener("change", addPhotos);
    phoneInput.addEventListener("input", notePhone);
    form.addEventListener("submit", submit);
    document.getElementById("another").addEventListener("click", another);
    // address.js: an address chosen among the suggestions puts the pin on it.
    document.addEventListener("town311:address", function (event) {
      setCoordinates(event.detail.lat, event.detail.lng, false);
    });
    document.getElementById("another-following").addEventListener("click", another);
    I18N.onChange(function () {
      filterServices();
      renderPhotos();
      notePhone();
      if (chosen && chosen.stop) showServiceStop(chosen);
      if (map) document.getElementById("map").setAttribute("aria-label", t("form.location.map"));
    });
  }

  start();
})();
