import { t } from 'elysia';
import { int } from '../../http/answers.js';

const state = t.Union([t.Literal('up'), t.Literal('down')]);

/**
 * `GET /health` (the document's only; index.ts builds it): `up` or `degraded` for anyone; for an
 * administrator also each service and the live runners.
 */
export const healthAnswer = t.Object(
  {
    status: t.Union([t.Literal('up'), t.Literal('degraded')]),
    timestamp: t.String({ format: 'date-time' }),
    services: t.Optional(
      t.Object({
        database: state,
        redis: state,
        storage: t.Object({ kind: t.String(), status: state }),
        docker: state,
        runners: state,
      }),
    ),
    runners: t.Optional(
      t.Array(
        t.Object({
          id: t.String(),
          region: t.String(),
          capacity: int(),
          running: int(),
          healthy: t.Boolean(),
          reason: t.Optional(t.String()),
        }),
      ),
    ),
  },
  { $id: 'Health' },
);
