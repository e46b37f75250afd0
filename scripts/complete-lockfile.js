#!/usr/bin/env node
// The npm registry mirror this project is built against serves only some platforms' binary
// packages, so `npm install` leaves the other platforms' optional packages (@swc/core-darwin-arm64,
// ...) out of package-lock.json, and `npm ci` then refuses the lock as out of sync. This adds those
// entries back with their os/cpu/libc so that npm skips them on platforms they are not for.
// Run it after any `npm install` that changes package-lock.json: `node scripts/complete-lockfile.js`.
const fs = require('node:fs');
const path = require('node:path');

const file = path.join(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const pkgs = lock.packages;

function platformOf(name) {
  const tail = name.split('/').pop();
  const os = ['darwin', 'linux', 'win32', 'freebsd', 'android', 'openbsd', 'sunos', 'aix'].find((o) =>
    tail.includes(o),
  );
  const cpu = ['arm64', 'x64', 'ia32', 'ppc64', 's390x', 'riscv64', 'loong64', 'arm'].find((c) =>
    tail.includes(c),
  );
  const libc = /-musl/.test(tail) ? ['musl'] : /-gnu/.test(tail) ? ['glibc'] : undefined;
  return os && cpu ? { os: [os], cpu: [cpu], ...(libc ? { libc } : {}) } : undefined;
}

let added = 0;
for (const [key, entry] of Object.entries(pkgs)) {
  if (!entry.optionalDependencies) continue;
  const base = key === '' ? 'node_modules/' : `${key}/node_modules/`;
  for (const [dep, version] of Object.entries(entry.optionalDependencies)) {
    const nested = `${base}${dep}`;
    const hoisted = `node_modules/${dep}`;
    if (pkgs[nested] || pkgs[hoisted]) continue;
    const platform = platformOf(dep);
    if (!platform) continue; // not a per-platform binary package: leave it for npm to report
    pkgs[hoisted] = { version, optional: true, ...platform };
    added++;
  }
}
const sorted = Object.fromEntries(
  Object.entries(pkgs).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)),
);
lock.packages = sorted;
fs.writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
console.log(`package-lock.json: added ${added} platform-specific optional entries`);
