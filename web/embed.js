/* town311 embed: put the citizen form on the town website with one line,
 *   <script src="https://<your town311 address>/embed.js" async></script>
 * Optional attributes: data-page="status" (the status page instead of the form),
 * data-lang="es" (the language; defaults to the host page's <html lang>). */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) return;
  var origin = new URL(script.src, window.location.href).origin;
  var page = script.getAttribute("data-page") === "status" ? "/status" : "/";
  var lang = (script.getAttribute("data-lang") || document.documentElement.lang || "").slice(0, 2).toLowerCase();
  var frame = document.createElement("iframe");
  frame.src = origin + page + "?embed=1" + (lang ? "&lang=" + encodeURIComponent(lang) : "");
  frame.title = script.getAttribute("data-title") || (page === "/" ? "Report a problem" : "Check a request");
  frame.setAttribute("allow", "geolocation");
  frame.style.width = "100%";
  frame.style.minHeight = "40rem";
  frame.style.border = "0";
  script.parentNode.insertBefore(frame, script);
  // The page inside tells its height so the frame never scrolls on its own.
  window.addEventListener("message", function (event) {
    if (event.origin !== origin || event.source !== frame.contentWindow) return;
    var height = event.data && event.data.town311Height;
    if (typeof height === "number" && height > 0 && height < 100000) frame.style.height = Math.ceil(height) + "px";
  });
})();
