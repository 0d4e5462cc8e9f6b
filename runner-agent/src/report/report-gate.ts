import type { ControlPlane } from '../report/control-plane.js';

/**
 * Lets the agent abandon its running attempts at the end of a drain that timed out: once
 * closed, nothing more of any attempt reaches the control-plane and every unfinished report
 * fails, so the jobs stay pending (not acknowledged) and another agent runs them as the next
 * attempt. Without it, the sandboxes removed at shutdown would be reported as the user's
 * program dying (a wrong final verdict).
 */
export function createReportGate(inner: ControlPlane) {
  let closed = false;
  const abandoned = () => new Error('attempt abandoned: the agent stopped before it finished');
  const controlPlane: ControlPlane = {
    open(executionId, attempt) {
      const report = inner.open(executionId, attempt);
      return {
        send(event) {
          if (!closed) report.send(event);
        },
        async finish() {
          if (closed) throw abandoned();
          await report.finish();
        },
      };
    },
    heartbeat: (req) => inner.heartbeat(req),
  };
  return {
    controlPlane,
    close(): void {
      closed = true;
    },
  };
}
