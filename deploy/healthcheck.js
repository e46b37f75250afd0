// Docker HEALTHCHECK for the service image: 0 when /health/live answers 200, 1 otherwise. Plain JS so it
// starts without the TypeScript loader; the port follows the same rules as libs/platform's servicePort.
const { services } = require('../infra/services.json');

const name = process.env.SERVICE || '';
const service = services.find((s) => s.name === name);
if (!service) {
  console.error(`healthcheck: unknown SERVICE '${name}'`);
  process.exit(1);
}
const own = process.env[`${name.toUpperCase().replace(/-/g, '_')}_PORT`];
const port = own ? Number(own) : service.port + Number(process.env.SP_PORT_OFFSET || 0);

fetch(`http://127.0.0.1:${port}/health/live`, { signal: AbortSignal.timeout(2500) }).then(
  (res) => process.exit(res.ok ? 0 : 1),
  () => process.exit(1),
);
