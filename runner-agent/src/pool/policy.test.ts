import { defaultJobLimits, loadLanguageManifest } from '@muscode/common';
import { describe, expect, it } from 'vitest';
import { createPoolPolicy } from './policy.js';

const manifest = loadLanguageManifest();
const specBase = { runtime: 'runsc', runnerId: 'r1', memoryOverheadMb: 32, cgroupParent: undefined };

describe('pool policy', () => {
  const policy = (poolImages: string, has: (image: string) => boolean = () => true) =>
    createPoolPolicy({
      manifest,
      poolImages,
      imageRepo: 'muscode',
      hasImage: has,
      isolation: 'jail',
      specBase,
    });

  it('pools the configured images this host has, and only those', () => {
    const p = policy('python, native', (image) => image !== 'muscode/sandbox-native:latest');
    expect(p.images).toEqual(['muscode/sandbox-python:latest']);
    expect(policy('*').images.length).toBeGreaterThan(5);
    expect(policy('').images).toEqual([]);
  });

  it('makes pooled sandboxes with default limits, container ulimits and pids at the maxima', () => {
    const p = policy('python');
    const lm = manifest.limits;
    expect(p.poolLimits).toEqual({
      ...defaultJobLimits(manifest),
      processes: lm.processes.max,
      openFiles: lm.openFiles.max,
      fileSizeBytes: lm.fileSizeBytes.max,
    });
    const spec = p.specFor('muscode/sandbox-python:latest');
    expect(spec.openFiles).toBe(lm.openFiles.max);
    expect(spec.pidsLimit).toBe(lm.processes.max * 4);
    expect(spec.executionId).toBeUndefined();
    expect(spec.env.MUSCODE_LAUNCHER_MODE).toBe('jail');
  });

  it("starts the prepared interpreter of an image's language, none for an image without one", () => {
    const p = policy('python, native');
    expect(p.preparedFor('muscode/sandbox-python:latest')).toBe('python');
    expect(p.specFor('muscode/sandbox-python:latest').env.MUSCODE_PREPARE).toBe(
      'python3 -u /opt/muscode/prepared/python.py',
    );
    expect(p.preparedFor('muscode/sandbox-native:latest')).toBeUndefined();
    expect(p.specFor('muscode/sandbox-native:latest').env.MUSCODE_PREPARE).toBeUndefined();
  });
});
