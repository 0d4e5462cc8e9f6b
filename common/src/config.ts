import { z } from 'zod';

/**
 * Parses a flat, prefixed environment into a typed config. One error lists every bad variable,
 * so a misconfigured deployment is fixed in one round.
 */
export function loadEnvConfig<S extends z.ZodRawShape>(
  prefix: string,
  shape: S,
  env: NodeJS.ProcessEnv,
): z.infer<z.ZodObject<S>> {
  const raw: Record<string, string | undefined> = {};
  for (const key of Object.keys(shape)) {
    raw[key] = env[`${prefix}${toEnvName(key)}`];
  }
  const parsed = z.object(shape).safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      return `  ${prefix}${toEnvName(key)}: ${issue.message}`;
    });
    throw new Error(`invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

function toEnvName(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/** Values from examples and old defaults that must never guard a real deployment. */
const knownPlaceholders = new Set(['dev-runner-token', 'change-me-too', 'change-me']);

/** Common field types for environment variables. */
export const env = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  int: (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback),
  number: (fallback: number) => z.coerce.number().default(fallback),
  string: (fallback: string) => z.string().min(1).default(fallback),
  optionalString: () => z.string().min(1).optional(),
  /**
   * A shared secret with no default: a deployment that does not set it does not start, and
   * neither does one that sets it to something short or to a value shipped in examples.
   */
  secret: (minLength = 16) =>
    z
      .string({ required_error: `is required (a random secret of at least ${minLength} characters)` })
      .min(minLength, `must be at least ${minLength} characters (a random secret)`)
      .refine((v) => !knownPlaceholders.has(v), 'is a placeholder from the examples; set a random secret'),
  bool: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0'])
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1'),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};
