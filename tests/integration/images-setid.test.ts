import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadLanguageManifest, manifestImages, sandboxImageName } from '@muscode/common';
import { imageRepo } from '../support/stack.js';

const run = promisify(execFile);
const docker = process.env['DOCKER'] ?? '/usr/bin/docker';

/**
 * No file in any sandbox image has a setuid or setgid bit (build.sh clears them in every
 * image's last layer): a program in a sandbox can gain no privilege through `mount`, `passwd`,
 * `chsh`, `newgrp`, `su` or anything a package installs. Scanned under runsc, as a program sees it.
 */
const images = ['base', 'trixie/base', ...manifestImages(loadLanguageManifest())];

async function setidFiles(image: string): Promise<string[]> {
  const { stdout } = await run(
    docker,
    [
      'run',
      '--rm',
      '--runtime=runsc',
      '--network=none',
      '--user=0:0',
      '--entrypoint=find',
      sandboxImageName(image, imageRepo),
      '/',
      '-xdev',
      '-type',
      'f',
      '-perm',
      '/6000',
    ],
    { maxBuffer: 1 << 20 },
  );
  return stdout.split('\n').filter(Boolean);
}

describe('sandbox images: no setuid or setgid files', () => {
  it.each(images)(
    '%s has none',
    async (image) => {
      expect(await setidFiles(image)).toEqual([]);
    },
    120_000,
  );

  it('scans for real: the Debian image the bases start from has some (mount, passwd, su, …)', async () => {
    const { stdout } = await run(docker, [
      'run',
      '--rm',
      '--runtime=runsc',
      '--network=none',
      '--entrypoint=find',
      'debian:trixie-slim',
      '/',
      '-xdev',
      '-type',
      'f',
      '-perm',
      '/6000',
    ]);
    expect(stdout).toMatch(/\/usr\/bin\/(passwd|su|mount|chsh|newgrp)/);
  }, 120_000);
});
