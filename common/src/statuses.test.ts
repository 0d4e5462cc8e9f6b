import { Status } from '@muscode/proto/execution/v1';
import { Verdict } from '@muscode/proto/runner/v1';
import { describe, expect, it } from 'vitest';
import {
  eventStatuses,
  executionStatuses,
  statusToProto,
  verdictFromProto,
  verdictToProto,
  verdicts,
} from './statuses.js';

/** The member names of a generated proto enum, without UNSPECIFIED, as our lower-case names. */
const protoNames = (e: Record<string, string | number>) =>
  Object.keys(e)
    .filter((k) => Number.isNaN(Number(k)) && k !== 'UNSPECIFIED')
    .map((k) => k.toLowerCase())
    .sort();

describe('the status and verdict vocabulary', () => {
  it("has exactly runner.proto's verdicts", () => {
    expect([...verdicts].sort()).toEqual(protoNames(Verdict));
  });

  it("has exactly execution.proto's statuses (the row's and the events')", () => {
    const all = new Set<string>([...executionStatuses, ...eventStatuses]);
    expect([...all].sort()).toEqual(protoNames(Status));
  });

  it('maps every verdict to its proto member and back', () => {
    for (const v of verdicts) {
      expect(Verdict[verdictToProto(v)]).toBe(v.toUpperCase());
      expect(verdictFromProto(verdictToProto(v))).toBe(v);
    }
  });

  it('reads a verdict the agent left unset, or one it does not know, as an internal error', () => {
    expect(verdictFromProto(Verdict.UNSPECIFIED)).toBe('internal_error');
    expect(verdictFromProto(99 as Verdict)).toBe('internal_error');
  });

  it('maps every status to its proto member, and an unknown name to UNSPECIFIED', () => {
    for (const s of [...executionStatuses, ...eventStatuses]) {
      expect(Status[statusToProto(s)]).toBe(s.toUpperCase());
    }
    expect(statusToProto('nonsense')).toBe(Status.UNSPECIFIED);
  });
});
