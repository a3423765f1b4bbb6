/* The privacy page: its numbers are the deployment's settings (config.js), in the page's language. */
(function () {
  "use strict";
  var I18N = window.I18N;
  var privacy = (window.T311.config || {}).privacy || {};

  function fill() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-i18n-privacy]"), function (node) {
      var key = node.getAttribute("data-i18n-privacy");
      // Logs kept without a limit say so rather than a number.
      if (key === "privacy.how_long.logs" && !privacy.log_retention_days) key += ".unlimited";
      node.textContent = I18N.t(key, {
        contact_days: privacy.contact_retention_days,
        log_days: privacy.log_retention_days,
      });
    });
  }

  fill();
  I18N.onChange(fill);
})();
