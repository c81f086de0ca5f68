// Starts Swagger UI on the page of server/apidocs (no inline script: the page's CSP allows scripts from this
// server only). The OpenAPI document is fetched from this server too.
'use strict';
(function start() {
  const root = document.getElementById('swagger-ui');
  if (!root || typeof SwaggerUIBundle !== 'function') return;
  document.getElementById('loading')?.remove();
  SwaggerUIBundle({
    url: root.dataset.url,
    domNode: root,
    // Without deep links the operation summaries hold no link inside their button (axe: nested-interactive, target-size).
    deepLinking: false,
    layout: 'BaseLayout',
    presets: [SwaggerUIBundle.presets.apis],
    defaultModelsExpandDepth: 0,
    tryItOutEnabled: false,
  });
}());
