import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * The one root logger of a process. Children add `component`, `executionId`, `userId` or
 * `runnerId`. User code and program output are never logged, only their sizes.
 */
export function createLogger(service: string, level: string): Logger {
  return pino({
    name: service,
    level,
    redact: {
      paths: [
        'password',
        '*.password',
        'token',
        '*.token',
        'refreshToken',
        '*.refreshToken',
        'authorization',
        '*.authorization',
        'headers.authorization',
        'headers.cookie',
        '*.headers.authorization',
        '*.headers.cookie',
        'databaseUrl',
        '*.databaseUrl',
      ],
      censor: '[redacted]',
    },
  });
}
