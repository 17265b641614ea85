// Reads a built site's _redirects and _headers with Netlify's own parsers (the versions
// netlify-cli uses) and resolves URLs with Netlify's redirect matcher (netlify-redirector,
// as `netlify dev` does). Usage: node netlify.mjs SITE_DIR < urls.json
// Prints JSON: {redirects: {count, errors}, headers: {count, errors}, urls: {url: {...}}}.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { parseAllRedirects } from '@netlify/redirect-parser';
import { parseAllHeaders } from '@netlify/headers-parser';

const site = process.argv[2];
const urls = JSON.parse(readFileSync(0, 'utf8'));
const require = createRequire(import.meta.url);
const cli = join(require.resolve('netlify-cli/package.json'), '..', 'dist', 'utils');
const { parseRedirects } = await import(pathToFileURL(join(cli, 'redirects.js')));
const { headersForPath, parseHeaders } = await import(pathToFileURL(join(cli, 'headers.js')));
const redirector = require('netlify-redirector');

const redirectsFiles = [join(site, '_redirects')];
const headersFiles = [join(site, '_headers')];
const parsedRedirects = await parseAllRedirects({ redirectsFiles, minimal: false, configRedirects: [] });
const parsedHeaders = await parseAllHeaders({ headersFiles, minimal: false, configHeaders: [] });
const rules = await parseRedirects({ config: {}, redirectsFiles });
const headerRules = await parseHeaders({ config: {}, headersFiles });
const matcher = await redirector.parseJSON(JSON.stringify(rules), {});

const out = {
  redirects: { count: parsedRedirects.redirects.length, errors: parsedRedirects.errors.map((e) => e.message) },
  headers: { count: parsedHeaders.headers.length, errors: parsedHeaders.errors.map((e) => e.message) },
  urls: {},
};
for (const url of urls) {
  const match = matcher.match({
    scheme: 'https', host: 'example.test', path: url, query: '', headers: {}, cookieValues: {},
    getHeader: () => '', getCookie: () => '',
  });
  out.urls[url] = {
    to: match ? match.to : null,
    status: match ? match.status : null,
    force: match ? Boolean(match.force) : null,
    headers: headersForPath(headerRules, url),
  };
}
process.stdout.write(JSON.stringify(out));
process.exit(0);
