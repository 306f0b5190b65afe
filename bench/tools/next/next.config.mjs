// The bench's Next.js 15 app (bench/first-event-tools.mjs): Next's defaults. The two settings
// below only say where the workspace is (the repository, %ROOT% filled in by the bench: the app's
// node_modules links to the tools e2e/bundlers installed, so Next would otherwise warn that it
// found more than one lockfile) and keep `next build` from looking for ESLint, which is not
// installed; neither changes the client bundle.
export default {
  outputFileTracingRoot: '%ROOT%',
  eslint: { ignoreDuringBuilds: true },
};
