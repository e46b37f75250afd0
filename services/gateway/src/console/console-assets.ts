import { NestExpressApplication } from '@nestjs/platform-express';
import path from 'node:path';

/** The console's own files: plain HTML, CSS and ES modules, no build step. */
export const CONSOLE_DIR = path.resolve(__dirname, '..', '..', 'console');

/** Where the design system and chart library are installed (resolved, so hoisting does not matter). */
export function vendorDirs(): { nhsuk: string; chartJs: string } {
  return {
    nhsuk: path.dirname(require.resolve('nhsuk-frontend')),
    chartJs: path.dirname(require.resolve('chart.js')),
  };
}

/**
 * Serves the console at `/` and its vendored assets: nhsuk-frontend's compiled CSS and JS under
 * `/assets/nhsuk`, its images under `/assets/images` (the compiled CSS refers to them there) and
 * Chart.js under `/assets/chart.js`. Everything comes from this origin, so a `default-src 'self'`
 * Content-Security-Policy holds.
 */
export function mountConsoleAssets(app: NestExpressApplication): void {
  const { nhsuk, chartJs } = vendorDirs();
  const vendor = { maxAge: '1h', index: false, fallthrough: true } as const;
  app.useStaticAssets(nhsuk, { ...vendor, prefix: '/assets/nhsuk' });
  app.useStaticAssets(path.join(nhsuk, 'assets'), { ...vendor, prefix: '/assets' });
  app.useStaticAssets(chartJs, { ...vendor, prefix: '/assets/chart.js' });
  // The console changes with each release; no-cache makes the browser revalidate (ETag) every time.
  app.useStaticAssets(CONSOLE_DIR, {
    index: 'index.html',
    fallthrough: true,
    setHeaders: (res) => res.setHeader('cache-control', 'no-cache'),
  });
}
