// Starts Swagger UI on /docs. A served file, not an inline script, so the page keeps a
// Content-Security-Policy without 'unsafe-inline'. The OpenAPI URL comes from the page.
"use strict";
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: false, // a deep link puts a link inside each operation's button
    showExtensions: true,
    showCommonExtensions: true,
    validatorUrl: null, // the default badge loads from a remote validator
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset]
  });
})();
