import type { StepResult } from '../engine/frames.js';

/** A launcher step that ran and exited 0 within every limit; `over` replaces fields. */
export const stepResult = (over: Partial<StepResult> = {}): StepResult => ({
  step: 'run',
  exit: 0,
  signal: 0,
  cpuMs: 1,
  wallMs: 1,
  maxRssKb: 1,
  timeout: false,
  cpuLimit: false,
  outputLimit: false,
  cancelled: false,
  prepared: false,
  ...over,
});
