import type { TestProject } from 'vitest/node';
import { startStack } from './global-setup.js';

/** The `integration` tier: PostgreSQL, Redis, the control-plane and a gateway; no runner agent. */
export default function setup(project: TestProject) {
  return startStack(project, { agent: false });
}
