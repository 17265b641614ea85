// linkinator's API over the served site; writes every link it saw to a JSON file (the CLI
// exits before a large JSON report is flushed to a pipe). Driven by test_links.py.
//
//   node linkcheck.mjs OUT.json ORIGIN START_URL...
import { writeFileSync } from 'node:fs';
import { check } from 'linkinator';

const [out, origin, ...starts] = process.argv.slice(2);
const result = await check({
  path: starts,
  recurse: true,
  checkFragments: true,
  // A Python test server on a shared 2-core machine: modest concurrency, and a retry for
  // the rare connection that times out while the machine is busy (a real 404 is not retried).
  concurrency: 8,
  timeout: 60000,
  retryErrors: true,
  retryErrorsCount: 3,
  retryErrorsJitter: 2000,
  // Only this site: external pages (eCFR, the checkout) are not ours to test offline.
  linksToSkip: async (link) => !link.startsWith(`${origin}/`),
});
const links = result.links.map(({ url, status, state, parent, failureDetails }) => ({
  url,
  status,
  state,
  parent,
  failure: failureDetails?.map((d) => (d instanceof Error ? d.message : `HTTP ${d?.status}`)),
}));
writeFileSync(out, JSON.stringify({ passed: result.passed, links }, null, 1));
