// The nginx image's part on top of Debian: nginx-light, and a site written at start from a template
// with the official image's two variables (NGINX_HOST, NGINX_PORT).
import { type ServiceImage, smallLayer } from "./service-image.ts";

/** The site, with the official image's two variables. */
const TEMPLATE = `server {
    listen \${NGINX_PORT};
    server_name \${NGINX_HOST};
    location / {
        root /usr/share/nginx/html;
        index index.html;
    }
}
`;
/** Write the site from the template (only these two variables), then run nginx in the foreground. */
const START =
  'envsubst "\\$NGINX_HOST \\$NGINX_PORT" < /etc/nginx/templates/default.conf.template > /etc/nginx/sites-enabled/default && exec nginx -g "daemon off;"';

export const nginxImage: ServiceImage = {
  // nginx (the light build) and envsubst.
  packages: ["nginx-light", "gettext-base"],
  layer: () =>
    smallLayer(
      [{ path: "etc/nginx/templates/default.conf.template", mode: 0o644, data: TEMPLATE }],
      ["usr/share/nginx/html"],
    ),
  env: ["NGINX_HOST=localhost", "NGINX_PORT=80"],
  cmd: ["sh", "-c", START],
};
