import { describe, expect, it } from 'vitest';
import type { ControlPlane, ReportEvent } from './control-plane.js';
import { createReportGate } from './report-gate.js';

describe('report gate', () => {
  it('once closed, nothing more reaches the control-plane and unfinished reports fail', async () => {
    const sent: NonNullable<ReportEvent>[] = [];
    let finished = 0;
    const inner: ControlPlane = {
      open: () => ({ send: (e) => void sent.push(e), finish: async () => void finished++ }),
      heartbeat: async () => 1000,
    };
    const gate = createReportGate(inner);
    const done = gate.controlPlane.open('e1', 1);
    done.send({ case: 'started', value: { queueMs: 1 } });
    await done.finish();
    const open = gate.controlPlane.open('e2', 1);
    gate.close();
    open.send({ case: 'started', value: { queueMs: 1 } });
    await expect(open.finish()).rejects.toThrow('attempt abandoned');
    // The attempt that finished before the close is delivered; the other stays pending.
    expect(sent).toHaveLength(1);
    expect(finished).toBe(1);
    await expect(gate.controlPlane.heartbeat({ runnerId: 'r1' })).resolves.toBe(1000);
  });
});
