import { createRequire } from 'node:module';
import uws from 'uWebSockets.js';

const require = createRequire(import.meta.url);

/**
 * Whether the native uWebSockets.js binary loaded. The package silently falls back to a slower
 * Node.js implementation when its binary does not match this Node build; we say which one runs.
 */
export function uwsImplementation(): 'native' | 'fallback' {
  try {
    const binary: unknown = require(
      `uWebSockets.js/binaries/uws_${process.platform}_${process.arch}_${process.versions.modules}.node`,
    );
    return binary === uws ? 'native' : 'fallback';
  } catch {
    return 'fallback';
  }
}

export { uws };
