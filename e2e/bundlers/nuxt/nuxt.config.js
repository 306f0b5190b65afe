// Nothing about the package here: Nuxt's defaults, with telemetry and devtools off.
export default defineNuxtConfig({
  compatibilityDate: '2025-07-15',
  telemetry: false,
  devtools: { enabled: false },
});
