// piston-client ships no types: the part the tests use.
declare module 'piston-client' {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are arbitrary JSON
  type Json = any;
  export function piston(opts?: { server?: string }): {
    runtimes(): Promise<Json>;
    execute(language: string, code: string, config?: Record<string, unknown>): Promise<Json>;
  };
}
