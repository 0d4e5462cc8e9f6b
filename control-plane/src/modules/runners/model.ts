import { t } from 'elysia';
import { int } from '../../http/answers.js';

/** One agent of `GET /runners` (the document's only; index.ts builds it). */
export const runnerAnswer = t.Object({
  id: t.String(),
  state: t.Union(['live', 'draining', 'unhealthy', 'gone'].map((s) => t.Literal(s))),
  /** Why an `unhealthy` agent takes no jobs (its container runtime does not answer). */
  unhealthy: t.Union([t.String(), t.Null()]),
  region: t.String(),
  hostname: t.String(),
  hostId: t.Union([t.String(), t.Null()]),
  capacity: int(),
  running: int(),
  languages: t.Array(
    t.Object({ languageId: t.String(), version: t.String(), image: t.Optional(t.String()) }),
  ),
  pools: t.Array(t.Object({ name: t.String(), warm: int(), target: int() })),
  lastHeartbeatAt: t.String({ format: 'date-time' }),
});
