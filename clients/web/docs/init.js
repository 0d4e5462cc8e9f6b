/* global window */
// Swagger UI on the OpenAPI document the control-plane serves, all from this origin: no CDN,
// no inline script (the gateway's CSP forbids both), and no validator badge (it would load from
// validator.swagger.io).
window.ui = window.SwaggerUIBundle({
  url: '/api/v1/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
});
