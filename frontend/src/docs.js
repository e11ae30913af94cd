// /docs: the service's API reference (Swagger UI from npm, bundled like the other pages), so
// that it renders on an intranet with no way out: no CDN, no web font, no validator badge.
import SwaggerUIBundle from "swagger-ui-dist/swagger-ui-bundle.js";
import "swagger-ui-dist/swagger-ui.css";

SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  // The default asks an online validator for a badge: never leave the service.
  validatorUrl: null,
  onComplete: () => {
    document.body.dataset.ready = "yes";
  },
});
