// The web runtime's public surface.

export { buildWebServer, HEALTH_PATH, type WebServerOptions } from './web-server.ts';
export { closeGracefully, type ShutdownResult } from './shutdown.ts';
export { parseSites, sitesFromEnv, listenFromEnv, type WebSite, type ListenConfig } from './config.ts';
export * from './errors.ts';
