// The app version and commit baked in at build time (vite.config.ts), recorded with every result.
export const appVersion = `${__APP_VERSION__}+${__APP_COMMIT__}`;
