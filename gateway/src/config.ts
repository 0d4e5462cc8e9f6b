import { env, loadEnvConfig } from '@muscode/common';

/** Every setting of a gateway, read once in main.ts from GATEWAY_* variables. */
export function loadConfig(source: NodeJS.ProcessEnv) {
  return loadEnvConfig(
    'GATEWAY_',
    {
      host: env.string('0.0.0.0'),
      port: env.port(8080),
      /** REST base of the control-plane that /api/v1 is forwarded to. */
      controlPlaneUrl: env.string('http://127.0.0.1:8081'),
      /** Largest request body forwarded, in bytes. */
      bodyLimitBytes: env.int(2 * 1024 * 1024, 1024),
      /** Time allowed for the control-plane to answer a forwarded request. */
      upstreamTimeoutMs: env.int(60_000, 100),
      logLevel: env.logLevel(),
    },
    source,
  );
}

export type Config = ReturnType<typeof loadConfig>;
