/* The staff page: sign in at the staff user pool (Cognito; the emulator's locally), a
 * department's queue with filters, a ticket with its history, photos and contact, the staff
 * actions, and requests entered for callers. */
(function () {
  "use strict";
  var T = window.T311;
  var I18N = window.I18N;
  var t = I18N.t;
  var el = T.el;
  var signIn = (T.config && T.config.sign_in) || null; // {endpoint, region, client_id}

  var session = null; // {token, user, groups, departments, expires}
  var services = [];
  var queue = [];
  var current = null; // {ticket, history}
  var canned = { key: "", templates: [] }; // the canned responses that fit the ticket shown

  function $(id) {
    return document.getElementById(id);
  }

  /** Tells the queue tools (queue-tools.js: pickers, several tickets at once, map, keys) what
   * happened here, with what they may use of this page. */
  function tools(name, arg) {
    var hooks = window.T311QueueTools;
    if (!hooks || typeof hooks[name] !== "function") return;
    hooks[name](arg, {
      call: call,
      reload: loadQueue,
      queue: function () {
        return queue;
      },
      current: function () {
        return current;
      },
      session: function () {
        return session;
      },
    });
  }

  /* ---- session ---- */

  /* Staff sign in at the user pool's own API (Cognito in AWS, the emulator locally), as every
     client of it does: InitiateAuth with USER_PASSWORD_AUTH, then the challenges the pool asks
     (a new password at the first sign-in, setting up and then giving an authenticator code),
     REFRESH_TOKEN_AUTH before the tokens expire, GlobalSignOut on sign-out. The tokens are kept
     in this page's memory only: a reload signs out. */
  var tokens = null; // {id, access, refresh}
  var challenge = null; // {name, session, username}
  var refreshTimer = null;
  var FORMS = ["password-sign-in", "new-password", "mfa-setup", "mfa-code"];

  function cognito(action, body) {
    return window
      .fetch(signIn.endpoint, {
        method: "POST",
        headers: {
          "content-type": "application/x-amz-json-1.1",
          "x-amz-target": "AWSCognitoIdentityProviderService." + action,
        },
        body: JSON.stringify(body),
      })
      .then(
        function (response) {
          return response.json().then(
            function (data) {
              return { ok: response.ok, data: data || {} };
            },
            function () {
              return { ok: response.ok, data: {} };
            }
          );
        },
        function () {
          return { ok: false, data: { __type: "network" } };
        }
      );
  }

  /** What to tell the person about a refusal of the pool. */
  function refusal(data) {
    var type = String(data.__type || "").split("#").pop();
    if (type === "NotAuthorizedException" || type === "UserNotFoundException") return t("admin.wrong_password");
    if (type === "InvalidPasswordException") return t("admin.weak_password");
    if (type === "CodeMismatchException" || type === "EnableSoftwareTokenMFAException") return t("admin.wrong_code");
    if (type === "network") return t("error.network");
    return t("admin.sign_in_failed");
  }

  function claimsOf(token) {
    try {
      var payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      while (payload.length % 4) payload += "=";
      var json = decodeURIComponent(
        Array.prototype.map
          .call(atob(payload), function (c) {
            return "%" + ("00" + c.charCodeAt(0).toString(16)).slice(-2);
          })
          .join("")
      );
      return JSON.parse(json);
    } catch (e) {
      return null;
    }
  }

  function startSession(token) {
    var claims = claimsOf(token);
    if (!claims) return false;
    var groups = claims["cognito:groups"] || [];
    if (typeof groups === "string") groups = groups.replace(/[[\]]/g, "").split(/[\s,]+/).filter(Boolean);
    session = {
      token: token,
      user: claims["cognito:username"] || claims.username || claims.sub || "",
      groups: groups,
      departments: groups
        .filter(function (g) {
          return g.indexOf("dept-") === 0;
        })
        .map(function (g) {
          return g.slice(5);
        }),
      expires: (claims.exp || 0) * 1000,
    };
    if (session.expires && session.expires < Date.now()) {
      session = null;
      return false;
    }
    return true;
  }

  /** The pool's tokens: the ID token is what the staff API takes (its audience is the app
      client, as template.yaml's authorizer expects); a refresh comes five minutes before it
      expires. */
  function keepTokens(result) {
    tokens = {
      id: result.IdToken,
      access: result.AccessToken,
      refresh: result.RefreshToken || (tokens && tokens.refresh),
    };
    if (typeof tokens.id !== "string" || !startSession(tokens.id)) {
      tokens = null;
      return false;
    }
    window.clearTimeout(refreshTimer);
    var wait = Math.max(session.expires - Date.now() - 5 * 60 * 1000, 10 * 1000);
    refreshTimer = window.setTimeout(refresh, wait);
    return true;
  }

  function refresh() {
    if (!tokens || !tokens.refresh) return;
    cognito("InitiateAuth", {
      AuthFlow: "REFRESH_TOKEN_AUTH",
      ClientId: signIn.client_id,
      AuthParameters: { REFRESH_TOKEN: tokens.refresh },
    }).then(function (answer) {
      if (!tokens) return;
      if (!answer.ok || !answer.data.AuthenticationResult || !keepTokens(answer.data.AuthenticationResult)) {
        endSession(t("admin.expired"));
      }
    });
  }

  function endSession(message) {
    session = null;
    tokens = null;
    challenge = null;
    window.clearTimeout(refreshTimer);
    showSignIn(message);
  }

  /** Shows one of the sign-in forms (or none), its first field focused. */
  function showForm(id) {
    FORMS.forEach(function (form) {
      $(form).hidden = form !== id;
    });
    var first = id && $(id).querySelector("input");
    if (first) first.focus();
  }

  function showSignIn(message) {
    $("work").hidden = true;
    $("who").hidden = true;
    $("sign-out").hidden = true;
    $("sign-in").hidden = false;
    var note = $("sign-in-message");
    note.hidden = !message;
    note.textContent = message || "";
    $("no-sign-in").hidden = !!signIn;
    ["sign-in-password", "new-password-input", "mfa-setup-code", "mfa-code-input"].forEach(function (id) {
      $(id).value = "";
    });
    showForm(signIn ? "password-sign-in" : null);
  }

  /** The pool's answer to a sign-in step: tokens, or the next challenge. */
  function answered(answer, field) {
    if (!answer.ok) {
      T.fieldError(field, refusal(answer.data));
      field.focus();
      return;
    }
    T.fieldError(field, "");
    var data = answer.data;
    if (data.AuthenticationResult) {
      challenge = null;
      if (keepTokens(data.AuthenticationResult)) signedIn();
      else T.fieldError(field, t("admin.sign_in_failed"));
      return;
    }
    var username = (data.ChallengeParameters && data.ChallengeParameters.USERNAME) || (challenge && challenge.username);
    challenge = { name: data.ChallengeName, session: data.Session, username: username };
    if (data.ChallengeName === "NEW_PASSWORD_REQUIRED") {
      showForm("new-password");
    } else if (data.ChallengeName === "SOFTWARE_TOKEN_MFA") {
      showForm("mfa-code");
    } else if (data.ChallengeName === "MFA_SETUP") {
      cognito("AssociateSoftwareToken", { Session: challenge.session }).then(function (associated) {
        if (!associated.ok || !associated.data.SecretCode) {
          T.fieldError(field, refusal(associated.data));
          return;
        }
        challenge.session = associated.data.Session || challenge.session;
        $("mfa-secret").textContent = associated.data.SecretCode;
        showForm("mfa-setup");
      });
    } else {
      T.fieldError(field, t("admin.sign_in_failed"));
    }
  }

  function passwordSignIn(event) {
    event.preventDefault();
    var username = $("sign-in-username");
    var password = $("sign-in-password");
    var user = username.value.trim();
    T.fieldError(username, user ? "" : t("admin.need_username"));
    if (!user) {
      username.focus();
      return;
    }
    challenge = { username: user };
    cognito("InitiateAuth", {
      AuthFlow: "USER_PASSWORD_AUTH",
      ClientId: signIn.client_id,
      AuthParameters: { USERNAME: user, PASSWORD: password.value },
    }).then(function (answer) {
      password.value = "";
      answered(answer, password);
    });
  }

  function respond(name, responses, field) {
    responses.USERNAME = challenge.username;
    return cognito("RespondToAuthChallenge", {
      ChallengeName: name,
      ClientId: signIn.client_id,
      Session: challenge.session,
      ChallengeResponses: responses,
    }).then(function (answer) {
      answered(answer, field);
    });
  }

  function setNewPassword(event) {
    event.preventDefault();
    var field = $("new-password-input");
    var chosen = field.value;
    field.value = "";
    respond("NEW_PASSWORD_REQUIRED", { NEW_PASSWORD: chosen }, field);
  }

  function setUpCode(event) {
    event.preventDefault();
    var field = $("mfa-setup-code");
    cognito("VerifySoftwareToken", {
      Session: challenge.session,
      UserCode: field.value.trim(),
      FriendlyDeviceName: "town311",
    }).then(function (answer) {
      if (!answer.ok || answer.data.Status !== "SUCCESS") {
        T.fieldError(field, refusal(answer.data));
        field.focus();
        return;
      }
      challenge.session = answer.data.Session || challenge.session;
      respond("MFA_SETUP", {}, field);
    });
  }

  function giveCode(event) {
    event.preventDefault();
    var field = $("mfa-code-input");
    respond("SOFTWARE_TOKEN_MFA", { SOFTWARE_TOKEN_MFA_CODE: field.value.trim() }, field);
  }

  function signOut() {
    var access = tokens && tokens.access;
    endSession("");
    // Ends every token of the account (its refresh tokens too); the page forgot them already.
    if (access) cognito("GlobalSignOut", { AccessToken: access });
  }

  function call(path, options) {
    options = Object.assign({}, options || {}, { token: session && session.token });
    return T.api(path, options).then(function (answer) {
      if (answer.status === 401) {
        endSession(t("admin.expired"));
      }
      return answer;
    });
  }

  function signedIn() {
    $("sign-in").hidden = true;
    $("work").hidden = false;
    $("who").hidden = false;
    $("who").textContent = t("admin.signed_in_as", { user: session.user });
    $("sign-out").hidden = false;
    $("banner-toggle").hidden = session.groups.indexOf("admin") < 0;
    $("templates-toggle").hidden = session.groups.indexOf("admin") < 0;
    var list = $("departments");
    T.clear(list);
    session.departments.forEach(function (d) {
      list.appendChild(el("option", { value: d }));
    });
    var department = $("f-department");
    if (!department.value) department.value = session.departments[0] || "";
    $("assign-to").value = session.user;
    // The address's filters (a bookmark, a dashboard link) over the defaults.
    loadServices().then(window.T311Queue.applyUrl).then(loadQueue);
    tools("signedIn");
    document.dispatchEvent(new CustomEvent("town311:signed-in"));
    T.announce(t("admin.signed_in_as", { user: session.user }));
    if (/^#ticket\//.test(window.location.hash)) openFromHash();
    else $("main").focus();
  }

  /* ---- catalog ---- */

  function loadServices() {
    if (services.length) return Promise.resolve();
    return T.api("/open311/v2/services.json").then(function (answer) {
      if (!answer.ok || !Array.isArray(answer.data)) return;
      services = answer.data;
      var filter = $("f-service");
      var entry = $("entry-service");
      var recategorize = $("recategorize-to");
      services.forEach(function (s) {
        filter.appendChild(el("option", { value: s.service_code, text: s.service_name }));
        entry.appendChild(el("option", { value: s.service_code, text: s.service_name }));
        recategorize.appendChild(el("option", { value: s.service_code, text: s.service_name }));
      });
      entryQuestions();
    });
  }

  /* ---- queue ---- */

  var OPEN = ["submitted", "acknowledged", "assigned", "scheduled", "in_progress", "reopened"];

  function overdue(ticket) {
    return ticket.status !== "closed" && ticket.expected_at && new Date(ticket.expected_at).getTime() < Date.now();
  }

  function where(ticket) {
    var location = ticket.location || {};
    if (location.address) return location.address;
    if (location.point) return location.point.lat.toFixed(5) + ", " + location.point.long.toFixed(5);
    return "—";
  }

  function loadQueue(event) {
    if (event) event.preventDefault();
    if (!session) return Promise.resolve();
    var status = $("f-status").value;
    var onlyOverdue = $("f-overdue").checked;
    var params = window.T311Queue.params();
    params.set("limit", "200");
    $("queue-count").textContent = t("admin.loading");
    return call("/staff/v1/tickets?" + params.toString()).then(
      function (answer) {
        if (!answer.ok) {
          $("queue-count").textContent = T.errorMessages(answer.data, answer.status).join(" ");
          queue = [];
          renderQueue();
          return;
        }
        var service = $("f-service").value;
        queue = ((answer.data && answer.data.tickets) || []).filter(function (ticket) {
          if (service && ticket.service_code !== service) return false;
          if (onlyOverdue && !overdue(ticket)) return false;
          if (status === "open" && ticket.status === "closed") return false;
          if (status === "closed" && ticket.status !== "closed") return false;
          if (OPEN.indexOf(status) >= 0 && ticket.status !== status) return false;
          return true;
        });
        renderQueue();
        $("queue-count").textContent = I18N.tn("admin.count", queue.length);
      },
      function () {
        $("queue-count").textContent = t("error.network");
      }
    );
  }

  function statusCell(ticket) {
    var cell = el("td", {}, [t("status." + ticket.status)]);
    if (overdue(ticket)) {
      cell.appendChild(document.createTextNode(" "));
      cell.appendChild(el("span", { class: "badge overdue", text: t("admin.overdue") }));
    }
    if (ticket.conversation) {
      cell.appendChild(document.createTextNode(" "));
      cell.appendChild(
        el("span", { class: "badge conversation " + ticket.conversation, text: t("conversation." + ticket.conversation) })
      );
    }
    return cell;
  }

  function renderQueue() {
    var rows = $("queue-rows");
    T.clear(rows);
    queue.forEach(function (ticket) {
      rows.appendChild(
        el("tr", {}, [
          el("td", {}, [el("a", { href: "#ticket/" + ticket.id, text: ticket.id })]),
          el("td", { text: ticket.service_name }),
          statusCell(ticket),
          el("td", { text: where(ticket) }),
          el("td", { text: ticket.expected_at ? T.dateTime(ticket.expected_at) : "—" }),
          el("td", { text: ticket.assignee || "—" }),
        ])
      );
    });
    tools("queueDrawn", rows);
  }

  /* ---- one ticket ---- */

  function openFromHash() {
    var match = /^#ticket\/([0-9A-Za-z-]+)$/.exec(window.location.hash);
    if (match && session) loadTicket(match[1], true);
  }

  function loadTicket(id, focus) {
    return call("/staff/v1/tickets/" + encodeURIComponent(id)).then(
      function (answer) {
        $("detail").hidden = false;
        if (!answer.ok) {
          current = null;
          $("detail-heading").textContent = id;
          showDetailError(T.errorMessages(answer.data, answer.status).join(" "));
          return;
        }
        showDetailError("");
        current = answer.data;
        renderTicket();
        if (focus) $("detail").focus();
      },
      function () {
        showDetailError(t("error.network"));
      }
    );
  }

  function showDetailError(message) {
    var box = $("detail-error");
    box.hidden = !message;
    box.textContent = message;
  }

  function fact(list, label, value) {
    if (value === undefined || value === null || value === "") return;
    list.appendChild(el("dt", { text: label }));
    list.appendChild(el("dd", {}, [value]));
  }

  function reporterName(r) {
    return [r.first_name, r.last_name].filter(Boolean).join(" ");
  }

  function actorName(actor) {
    if (!actor) return "";
    if (actor.kind === "staff") return actor.name;
    return t("actor." + actor.kind);
  }

  /** What an entry changed, as staff read it: names and details for the changes that carry
   * them, else the public summary worded from its code. */
  function describe(entry) {
    var change = entry.change || {};
    switch (change.type) {
      case "submitted":
        return t("change.submitted", { channel: t("channel." + change.channel) });
      case "status_changed":
        return (
          t("change.status", { from: t("status." + change.from), to: t("status." + change.to) }) +
          (change.resolution ? " (" + t("resolution." + change.resolution) + ")" : "") +
          (change.referral ? ": " + change.referral : "")
        );
      case "assigned":
        return change.assignee ? t("change.assigned", { who: change.assignee }) : t("change.unassigned");
      case "moved":
        return t("change.moved", { from: change.from, to: change.to });
      case "scheduled":
        return t("change.scheduled", { when: T.dateTime(change.at) });
      case "recategorized":
        return t("change.recategorized", { from: change.from, to: change.to });
      case "located":
        return t("change.located", {
          where: [change.location.address, change.location.point ? change.location.point.lat + ", " + change.location.point.long : ""]
            .filter(Boolean)
            .join(" · "),
        });
      case "noted":
        return t("change.note", { text: change.text });
      case "messaged":
        return t(change.to === "everyone" ? "change.message_everyone" : "change.message", { text: change.text });
      case "merged_into":
        return t("change.merged", { parent: change.parent });
      case "absorbed":
        return t("change.absorbed", { child: change.child });
      case "citizen_update":
        return [
          t("change.citizen_update", { text: change.text || "—" }),
          // The reporter's answer to "was it fixed?" (the digest asks some days after closing).
          String(change.receipt || "").startsWith("fix-check:")
            ? t(change.status === "FIXED" ? "change.fix_check_yes" : "change.fix_check_no")
            : change.status ? t("change.citizen_status", { status: change.status }) : "",
          change.reopened ? "· " + t("change.citizen_reopened") : "",
        ]
          .concat(change.media_urls || [])
          .filter(Boolean)
          .join(" ");
      case "citizen_message":
        return [
          t("change.citizen_message", {
            who: t(entry.actor && entry.actor.kind === "reporter" ? "who.reporter" : "who.citizen"),
            channel: t(change.channel === "sms" ? "channel.sms" : "channel.email"),
            text: change.text,
          }),
          (change.uploads || []).length ? "· " + t("change.citizen_message_photos", { count: change.uploads.length }) : "",
        ]
          .filter(Boolean)
          .join(" ");
      case "redacted":
        return [
          t(change.target === "note" ? "change.redacted_note" : "change.redacted_description", { entry: change.entry, reason: t("reason." + change.reason), text: change.text }),
          change.detail ? "· " + change.detail : "",
          // Personal data is not kept: staff see only that it was removed.
          change.original ? "· " + t("change.redacted_original", { text: change.original }) : "",
        ]
          .filter(Boolean)
          .join(" ");
      case "request_hidden":
        return change.hidden
          ? [t("change.request_hidden", { reason: t("reason." + change.reason) }), change.detail ? "· " + change.detail : ""].filter(Boolean).join(" ")
          : t("change.request_shown");
      default:
        return I18N.summary(entry.summary_code, entry.summary_params, entry.summary || change.type);
    }
  }

  /** Whether an entry holds a public note staff may redact. */
  function publicNote(entry) {
    var change = entry.change || {};
    return entry.public && (change.type === "noted" || change.type === "messaged" || (change.type === "status_changed" && !!change.referral));
  }

  function hiddenText(hidden) {
    return t("reason." + hidden.reason) + (hidden.detail ? " · " + hidden.detail : "");
  }

  /** A button that picks `target` in the redact form and moves there. */
  function redactButton(target, what) {
    var button = el("button", { type: "button", class: "secondary", text: t("admin.redact_button"), "aria-label": t("admin.redact_button") + ": " + what });
    button.addEventListener("click", function () {
      $("redact-target").value = target;
      $("redact-reason").focus();
    });
    return button;
  }

  /** The redact form's choices (the description and each public note) and the hide form. */
  function renderModeration() {
    var ticket = current.ticket;
    var select = $("redact-target");
    var chosen = select.value;
    T.clear(select);
    if (ticket.description) select.appendChild(el("option", { value: "description", text: t("admin.description") }));
    (current.history || []).filter(publicNote).forEach(function (entry) {
      select.appendChild(el("option", { value: "note:" + entry.version, text: t("admin.redact_note_of", { when: T.dateTime(entry.at) }) }));
    });
    if (Array.prototype.some.call(select.options, function (o) { return o.value === chosen; })) select.value = chosen;
    $("act-redact").hidden = !select.options.length;
    var state = $("hidden-state");
    state.hidden = !ticket.hidden;
    state.textContent = ticket.hidden ? t("admin.hidden_because", { reason: hiddenText(ticket.hidden) }) : "";
    $("hide-fields").hidden = !!ticket.hidden;
    $("hide-submit").textContent = t(ticket.hidden ? "admin.unhide" : "admin.hide");
  }

  function renderTicket() {
    if (!current) return;
    var ticket = current.ticket;
    $("detail-heading").textContent = ticket.id + " · " + ticket.service_name;
    var facts = $("detail-facts");
    T.clear(facts);
    var status = t("status." + ticket.status) + (ticket.resolution ? " (" + t("resolution." + ticket.resolution) + ")" : "");
    fact(
      facts,
      t("admin.status"),
      status +
        (overdue(ticket) ? " · " + t("admin.overdue") : "") +
        (ticket.conversation ? " · " + t("conversation." + ticket.conversation) : "")
    );
    fact(facts, t("admin.department"), ticket.department);
    fact(facts, t("admin.assignee"), ticket.assignee || "—");
    fact(facts, t("admin.scheduled_for"), ticket.scheduled_for ? T.dateTime(ticket.scheduled_for) : "");
    fact(facts, t("confirm.expected"), ticket.expected_at ? T.dateTime(ticket.expected_at) : "—");
    fact(facts, t("status.requested"), T.dateTime(ticket.requested_at));
    fact(facts, t("admin.channel"), t("channel." + ticket.channel));
    fact(facts, t("status.where"), where(ticket));
    fact(facts, t("admin.description"), ticket.description ? el("span", {}, [ticket.description, " ", redactButton("description", t("admin.description"))]) : "—");
    if (ticket.hidden) fact(facts, t("admin.hidden"), hiddenText(ticket.hidden));
    Object.keys(ticket.answers || {}).forEach(function (code) {
      fact(facts, code, [].concat(ticket.answers[code]).join(", "));
    });
    if (ticket.parent) fact(facts, t("admin.duplicate_of"), el("a", { href: "#ticket/" + ticket.parent, text: ticket.parent }));
    fact(facts, t("admin.version"), String(ticket.version));

    var contact = $("detail-contact");
    T.clear(contact);
    var r = ticket.reporter || {};
    // No name given, or the contact removed after the retention period or on request.
    fact(contact, t("admin.name"), reporterName(r) || t("admin.a_resident"));
    fact(contact, t("form.contact.email"), r.email ? el("a", { href: "mailto:" + r.email, text: r.email }) : r.email_as_typed ? t("admin.as_typed", { text: r.email_as_typed }) : "—");
    // A number that cannot be texted is kept as typed, to call.
    var typedPhone = r.phone_as_typed ? el("a", { href: "tel:" + r.phone_as_typed.replace(/[^\d+]/g, ""), text: t("admin.as_typed", { text: r.phone_as_typed }) }) : "—";
    fact(contact, t("form.contact.phone"), r.phone ? el("a", { href: "tel:" + r.phone, text: r.phone }) : typedPhone);
    fact(contact, t("admin.notify_by"), r.notify_by ? t("notify." + r.notify_by) : "—");

    var photos = $("detail-photos");
    T.clear(photos);
    // Processed photos (a link each, and a way to hide one from the public), photos hosted
    // elsewhere that the request named, and uploads still being processed.
    var processed = ticket.photos || [];
    var linked = ticket.media_urls || [];
    var waiting = (ticket.uploads || []).length;
    if (processed.length || linked.length) {
      var list = el("ul", { class: "photos" });
      processed.forEach(function (photo, i) {
        var label = t("admin.photo_n", { n: i + 1 });
        var item = photo.hidden
          ? [el("span", { text: label + " (" + t("admin.photo_hidden") + ")" })]
          : [el("a", { href: "/open311/v2/media/" + encodeURIComponent(photo.id), text: label })];
        var toggle = el("button", {
          type: "button",
          class: "secondary",
          text: photo.hidden ? t("admin.show_photo") : t("admin.hide_photo"),
          "aria-label": (photo.hidden ? t("admin.show_photo") : t("admin.hide_photo")) + ": " + label,
        });
        toggle.addEventListener("click", function () {
          toggle.disabled = true;
          act({ action: "hide_photo", photo: photo.id, hidden: !photo.hidden }).then(function (answer) {
            toggle.disabled = false;
            T.announce(
              answer.ok ? t("admin.done", { id: current.ticket.id }) : T.errorMessages(answer.data, answer.status).join(" ")
            );
          });
        });
        item.push(document.createTextNode(" "), toggle);
        list.appendChild(el("li", {}, item));
      });
      linked.forEach(function (url, i) {
        list.appendChild(el("li", {}, [el("a", { href: url, text: t("admin.photo_n", { n: processed.length + i + 1 }) })]));
      });
      photos.appendChild(list);
    }
    if (waiting) photos.appendChild(el("p", { text: I18N.tn("admin.photos_waiting", waiting) }));
    if (!processed.length && !linked.length && !waiting) photos.appendChild(el("p", { text: t("admin.no_photos") }));

    var history = $("detail-history");
    T.clear(history);
    (current.history || []).forEach(function (entry) {
      history.appendChild(
        el("li", {}, [
          el("time", { datetime: entry.at, text: T.dateTime(entry.at) + " · " + actorName(entry.actor) }),
          el("span", { class: "what", text: describe(entry) }),
          " ",
          el("span", { class: entry.public ? "badge" : "badge internal", text: entry.public ? t("admin.public") : t("admin.internal") }),
        ].concat(publicNote(entry) ? [" ", redactButton("note:" + entry.version, T.dateTime(entry.at))] : []))
      );
    });
    renderModeration();
    var closed = ticket.status === "closed";
    ["act-assign", "act-schedule", "act-merge", "act-move", "act-recategorize", "act-locate"].forEach(function (id) {
      $(id).hidden = closed;
    });
    $("status-to").value = closed ? "reopened" : $("status-to").value === "reopened" ? "closed" : $("status-to").value;
    statusFields();
    loadCanned();
    tools("ticketShown");
  }

  /* ---- canned responses ---- */

  /** The templates that fit the ticket as it stands now, filled in by the server (the message
   * in the reporter's language); asked again only when the ticket changed. */
  function loadCanned() {
    var ticket = current && current.ticket;
    var key = ticket ? ticket.id + "@" + ticket.version : "";
    if (key === canned.key) {
      fillCanned();
      return;
    }
    canned = { key: key, templates: [] };
    fillCanned();
    if (!ticket) return;
    call("/staff/v1/templates?ticket=" + encodeURIComponent(ticket.id)).then(function (answer) {
      if (canned.key !== key || !answer.ok || !answer.data) return;
      canned.templates = answer.data.templates || [];
      fillCanned();
    });
  }

  function fillCanned() {
    [
      ["note", function (c) {
        return c.use !== "message";
      }],
      ["message", function (c) {
        return c.use !== "note";
      }],
    ].forEach(function (pair) {
      var select = $(pair[0] + "-canned");
      var fitting = canned.templates.filter(pair[1]);
      while (select.options.length > 1) select.remove(1);
      fitting.forEach(function (c) {
        select.appendChild(el("option", { value: c.id, text: c.name }));
      });
      select.value = "";
      $(pair[0] + "-canned-field").hidden = !fitting.length;
    });
  }

  function pickCanned(kind) {
    var id = $(kind + "-canned").value;
    var chosen = canned.templates.filter(function (c) {
      return c.id === id;
    })[0];
    if (!chosen) return;
    var input = $(kind + "-text");
    input.value = kind === "message" ? chosen.message : chosen.text;
    T.announce(t("admin.canned_filled", { name: chosen.name }));
  }

  function statusFields() {
    var closing = $("status-to").value === "closed";
    $("resolution-field").hidden = !closing;
    $("referral-field").hidden = !closing || $("resolution").value !== "not_our_responsibility";
    $("after-photo-field").hidden = !closing;
  }

  /** Sends the photo of the finished work chosen in the closing form, if one is; gives its
   * upload id (null when none is chosen), or the refusal shown on the file input. */
  function sendAfterPhoto() {
    var input = $("after-photo");
    var file = input.files && input.files[0];
    if ($("status-to").value !== "closed" || !file) return Promise.resolve({ ok: true, upload: null });
    if (file.size > 4 * 1024 * 1024) return Promise.resolve({ ok: false, refusal: t("admin.after_photo_too_big") });
    return call("/staff/v1/uploads", { method: "POST", body: file, headers: { "Content-Type": file.type || "application/octet-stream" } }).then(function (answer) {
      if (answer.ok && answer.data && answer.data.upload_id) return { ok: true, upload: answer.data.upload_id };
      return { ok: false, refusal: T.errorMessages(answer.data, answer.status).join(" ") };
    });
  }

  /** Sends one action naming the version seen; gives the answer. */
  function act(body) {
    body.version = current.ticket.version;
    return call("/staff/v1/tickets/" + encodeURIComponent(current.ticket.id) + "/actions", { method: "POST", json: body }).then(function (answer) {
      if (answer.ok && answer.data && answer.data.ticket) {
        current = answer.data;
        renderTicket();
      }
      return answer;
    });
  }

  /** Runs actions in turn; reports the first refusal on `input`, success in the live region. */
  function perform(form, input, actions, done) {
    var button = form.querySelector("button[type=submit]");
    T.fieldError(input, "");
    button.disabled = true;
    var chain = Promise.resolve({ ok: true });
    actions.forEach(function (make) {
      chain = chain.then(function (previous) {
        if (!previous.ok) return previous;
        return act(make());
      });
    });
    return chain.then(
      function (answer) {
        button.disabled = false;
        if (answer.ok) {
          form.reset();
          renderTicket();
          if (done) done();
          T.announce(t("admin.done", { id: current.ticket.id }));
          loadQueue();
          return;
        }
        var message = T.errorMessages(answer.data, answer.status).join(" ");
        if (answer.status === 412) {
          message = t("admin.stale");
          loadTicket(current.ticket.id, false);
        }
        T.fieldError(input, message);
        input.focus();
      },
      function () {
        button.disabled = false;
        T.fieldError(input, t("error.network"));
      }
    );
  }

  function required(input) {
    var value = input.value.trim();
    T.fieldError(input, value ? "" : t("error.answer_required"));
    if (!value) input.focus();
    return value;
  }

  function bindActions() {
    $("act-assign").addEventListener("submit", function (event) {
      event.preventDefault();
      var input = $("assign-to");
      var who = required(input);
      if (!who) return;
      perform(event.target, input, [
        function () {
          return { action: "assign", assignee: who };
        },
      ], function () {
        input.value = session.user;
      });
    });
    $("act-schedule").addEventListener("submit", function (event) {
      event.preventDefault();
      var input = $("schedule-at");
      var value = required(input);
      if (!value) return;
      var at = new Date(value);
      if (isNaN(at.getTime())) {
        T.fieldError(input, t("error.datetime"));
        return;
      }
      perform(event.target, input, [
        function () {
          return { action: "schedule", at: at.toISOString() };
        },
      ]);
    });
    $("status-to").addEventListener("change", statusFields);
    $("resolution").addEventListener("change", statusFields);
    $("act-status").addEventListener("submit", function (event) {
      event.preventDefault();
      var to = $("status-to").value;
      var note = $("status-note").value.trim();
      var body = { action: "set_status", status: to };
      if (to === "closed") {
        body.resolution = $("resolution").value;
        if (body.resolution === "not_our_responsibility") {
          body.referral = required($("referral"));
          if (!body.referral) return;
        }
      }
      var steps = [
        function () {
          return body;
        },
      ];
      if (note) {
        steps.push(function () {
          return { action: "note", text: note, public: true };
        });
      }
      var form = event.target;
      T.fieldError($("after-photo"), "");
      sendAfterPhoto().then(
        function (sent) {
          if (!sent.ok) {
            T.fieldError($("after-photo"), sent.refusal);
            $("after-photo").focus();
            return;
          }
          if (sent.upload) body.after_photo = sent.upload;
          perform(form, $("status-to"), steps, statusFields);
        },
        function () {
          T.fieldError($("after-photo"), t("error.network"));
        }
      );
    });
    $("act-note").addEventListener("submit", function (event) {
      event.preventDefault();
      var input = $("note-text");
      var text = required(input);
      if (!text) return;
      var pub = $("note-public").checked;
      perform(event.target, input, [
        function () {
          return { action: "note", text: text, public: pub };
        },
      ]);
    });
    $("act-redact").addEventListener("submit", function (event) {
      event.preventDefault();
      var target = $("redact-target").value.split(":");
      var body = { action: "redact", target: target[0], reason: $("redact-reason").value };
      if (target[1]) body.entry = Number(target[1]);
      var text = $("redact-text").value.trim();
      var detail = $("redact-detail").value.trim();
      if (text) body.text = text;
      if (detail) body.detail = detail;
      perform(event.target, $("redact-target"), [
        function () {
          return body;
        },
      ]);
    });
    $("act-hide").addEventListener("submit", function (event) {
      event.preventDefault();
      var hidden = current && current.ticket.hidden;
      var detail = $("hide-detail").value.trim();
      var body = hidden ? { action: "unhide" } : { action: "hide", reason: $("hide-reason").value };
      if (!hidden && detail) body.detail = detail;
      perform(event.target, $("hide-reason"), [
        function () {
          return body;
        },
      ]);
    });
    $("act-message").addEventListener("submit", function (event) {
      event.preventDefault();
      var input = $("message-text");
      var text = required(input);
      if (!text) return;
      var to = $("message-everyone").checked ? "everyone" : "reporter";
      var pub = $("message-public").checked;
      perform(event.target, input, [
        function () {
          return { action: "message", text: text, to: to, public: pub };
        },
      ]);
    });
    $("act-merge").addEventListener("submit", function (event) {
      event.preventDefault();
      var input = $("merge-parent");
      var parent = T.ticketNumber(required(input));
      if (!parent) return;
      perform(event.target, input, [
        function () {
          return { action: "merge", parent: parent };
        },
      ]);
    });
    $("act-move").addEventListener("submit", function (event) {
      event.preventDefault();
      var input = $("move-to");
      var department = required(input);
      if (!department) return;
      perform(event.target, input, [
        function () {
          return { action: "move", department: department.toUpperCase() };
        },
      ]);
    });
    $("act-locate").addEventListener("submit", function (event) {
      event.preventDefault();
      var input = $("locate-address");
      if (!input.value.trim()) {
        T.fieldError(input, t("admin.locate_needed"));
        input.focus();
        return;
      }
      perform(event.target, input, [
        function () {
          return { action: "locate", address_string: input.value.trim() };
        },
      ]);
    });
    $("act-recategorize").addEventListener("submit", function (event) {
      event.preventDefault();
      var input = $("recategorize-to");
      perform(event.target, input, [
        function () {
          return { action: "recategorize", service_code: input.value };
        },
      ]);
    });
  }

  /* ---- requests entered for callers ---- */

  var entryAnswers = null;

  function entryQuestions() {
    var code = $("entry-service").value;
    var box = $("entry-questions");
    entryAnswers = null;
    T.clear(box);
    var service = services.filter(function (s) {
      return s.service_code === code;
    })[0];
    if (!service || !service.metadata) return;
    T.api("/open311/v2/services/" + encodeURIComponent(code) + ".json").then(function (answer) {
      if (answer.ok && $("entry-service").value === code) entryAnswers = T.renderQuestions(box, answer.data, "entry");
    });
  }

  function enterRequest(event) {
    event.preventDefault();
    var summary = $("entry-summary");
    var errors = entryAnswers ? entryAnswers.validate() : [];
    var lat = $("entry-lat").value.trim();
    var lng = $("entry-long").value.trim();
    var address = $("entry-address").value.trim();
    T.fieldError($("entry-address"), "");
    if (!address && !(lat && lng)) {
      T.fieldError($("entry-address"), t("error.location"));
      errors.push({ input: $("entry-address"), message: t("error.location") });
    }
    if (errors.length) {
      T.errorSummary(summary, errors);
      return;
    }
    summary.hidden = true;
    var body = { channel: $("entry-channel").value, service_code: $("entry-service").value };
    if (address) body.address_string = address;
    if (lat && lng) {
      body.lat = lat;
      body.long = lng;
    }
    [["description", "entry-description"], ["first_name", "entry-first"], ["last_name", "entry-last"], ["email", "entry-email"], ["phone", "entry-phone"]].forEach(function (pair) {
      var value = $(pair[1]).value.trim();
      if (value) body[pair[0]] = value;
    });
    if (entryAnswers) body.attributes = entryAnswers.collect();
    var button = event.target.querySelector("button[type=submit]");
    button.disabled = true;
    call("/staff/v1/tickets", { method: "POST", json: body }).then(
      function (answer) {
        button.disabled = false;
        if (!answer.ok || !answer.data || !answer.data.ticket) {
          T.errorSummary(
            summary,
            T.errorMessages(answer.data, answer.status).map(function (m) {
              return { message: m };
            })
          );
          return;
        }
        event.target.reset();
        entryQuestions();
        toggleEntry(false);
        current = answer.data;
        $("detail").hidden = false;
        renderTicket();
        window.history.replaceState(null, "", "#ticket/" + current.ticket.id);
        T.announce(t("admin.entered", { id: current.ticket.id }));
        $("detail").focus();
        loadQueue();
      },
      function () {
        button.disabled = false;
        T.errorSummary(summary, [{ message: t("error.network") }]);
      }
    );
  }

  function toggleEntry(open) {
    var toggle = $("entry-toggle");
    var show = typeof open === "boolean" ? open : toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", show ? "true" : "false");
    $("entry").hidden = !show;
    if (show) $("entry-channel").focus();
  }

  /* ---- the town's banner (admins) ---- */

  function toggleBanner() {
    var toggle = $("banner-toggle");
    var show = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", show ? "true" : "false");
    $("banner-editor").hidden = !show;
    if (!show) return;
    // The banner as citizens see it now, to edit.
    T.api("/citizen/v1/banner").then(function (answer) {
      var shown = answer.ok && answer.data ? answer.data.banner : null;
      $("banner-en").value = shown ? shown.text : "";
      $("banner-es").value = shown && shown.text_es ? shown.text_es : "";
      $("banner-until").value = shown && shown.until ? localInput(shown.until) : "";
    });
    $("banner-en").focus();
  }

  /** An instant as a datetime-local value in this browser's time. */
  function localInput(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return "";
    var pad = function (n) {
      return String(n).padStart(2, "0");
    };
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  function saveBanner(event, remove) {
    if (event) event.preventDefault();
    var summary = $("banner-summary");
    var body = { text: $("banner-en").value.trim() };
    if ($("banner-es").value.trim()) body.text_es = $("banner-es").value.trim();
    var until = $("banner-until").value;
    if (until && !isNaN(new Date(until).getTime())) body.until = new Date(until).toISOString();
    var request = remove ? { method: "DELETE" } : { method: "PUT", json: body };
    call("/staff/v1/banner", request).then(
      function (answer) {
        if (!answer.ok) {
          T.errorSummary(summary, T.errorMessages(answer.data, answer.status).map(function (m) {
            return { input: /until/.test(m) ? $("banner-until") : $("banner-en"), message: m };
          }));
          return;
        }
        summary.hidden = true;
        if (remove) {
          $("banner-en").value = "";
          $("banner-es").value = "";
          $("banner-until").value = "";
        }
        T.announce(t(remove ? "admin.banner_removed" : "admin.banner_shown"));
      },
      function () {
        T.errorSummary(summary, [{ message: t("error.network") }]);
      }
    );
  }

  /* ---- the canned responses (admins) ---- */

  var templatesVersion = null; // the version the editor shows, sent back as If-Match

  function toggleTemplates() {
    var toggle = $("templates-toggle");
    var show = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", show ? "true" : "false");
    $("templates-editor").hidden = !show;
    if (show) loadTemplates();
  }

  function loadTemplates() {
    return call("/staff/v1/templates").then(function (answer) {
      if (!answer.ok || !answer.data) {
        T.errorSummary($("templates-summary"), T.errorMessages(answer.data, answer.status).map(function (m) {
          return { input: $("templates-json"), message: m };
        }));
        return;
      }
      templatesVersion = answer.data.version || 0;
      $("templates-json").value = JSON.stringify({ templates: answer.data.templates || [] }, null, 2);
      $("templates-json").focus();
    });
  }

  function saveTemplates(event) {
    event.preventDefault();
    var summary = $("templates-summary");
    var input = $("templates-json");
    var body;
    try {
      body = JSON.parse(input.value);
    } catch (e) {
      T.errorSummary(summary, [{ input: input, message: t("admin.templates_not_json", { error: e.message }) }]);
      return;
    }
    var headers = templatesVersion === null ? {} : { "if-match": '"' + templatesVersion + '"' };
    call("/staff/v1/templates", { method: "PUT", json: body, headers: headers }).then(
      function (answer) {
        if (!answer.ok) {
          var messages = T.errorMessages(answer.data, answer.status);
          if (answer.status === 412) messages = [t("admin.templates_stale")];
          T.errorSummary(summary, messages.map(function (m) {
            return { input: input, message: m };
          }));
          if (answer.status === 412) loadTemplates();
          return;
        }
        summary.hidden = true;
        templatesVersion = answer.data.version;
        canned.key = ""; // the picker asks again
        T.announce(t("admin.templates_saved", { version: answer.data.version }));
      },
      function () {
        T.errorSummary(summary, [{ message: t("error.network") }]);
      }
    );
  }

  /* ---- start ---- */

  // What the dashboard (dashboard.js) calls the staff API with.
  T.staffCall = call;

  $("password-sign-in").addEventListener("submit", passwordSignIn);
  $("new-password").addEventListener("submit", setNewPassword);
  $("mfa-setup").addEventListener("submit", setUpCode);
  $("mfa-code").addEventListener("submit", giveCode);
  $("sign-out").addEventListener("click", signOut);
  $("filters").addEventListener("submit", loadQueue);
  $("entry-toggle").addEventListener("click", toggleEntry);
  $("banner-toggle").addEventListener("click", toggleBanner);
  $("templates-toggle").addEventListener("click", toggleTemplates);
  $("templates-form").addEventListener("submit", saveTemplates);
  $("banner-form").addEventListener("submit", saveBanner);
  $("banner-remove").addEventListener("click", function () {
    saveBanner(null, true);
  });
  $("note-canned").addEventListener("change", function () {
    pickCanned("note");
  });
  $("message-canned").addEventListener("change", function () {
    pickCanned("message");
  });
  $("entry-service").addEventListener("change", entryQuestions);
  $("entry-form").addEventListener("submit", enterRequest);
  window.addEventListener("hashchange", openFromHash);
  // A citizen may answer while the ticket is open: show what came in since.
  $("detail-refresh").addEventListener("click", function () {
    if (!current) return;
    Promise.all([loadTicket(current.ticket.id, false), loadQueue()]).then(function () {
      T.announce(t("admin.refreshed"));
    });
  });
  bindActions();
  I18N.onChange(function () {
    renderQueue();
    renderTicket();
    if (session) $("who").textContent = t("admin.signed_in_as", { user: session.user });
  });

  showSignIn("");
})();
