// Starts ReDoc on /redoc from the vendored bundle. A served file, not an inline script, so the
// page keeps a Content-Security-Policy without 'unsafe-inline'. System fonts only: no web
// font is fetched from anywhere.
"use strict";
(function () {
  var root = document.getElementById("redoc");
  var system = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";
  var mono = "ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace";
  Redoc.init(root.getAttribute("data-openapi-url"), {
    theme: {
      typography: {
        fontFamily: system,
        headings: { fontFamily: system },
        code: { fontFamily: mono }
      }
    }
  }, root);
})();
