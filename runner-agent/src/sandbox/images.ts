import { languageVersions, sandboxImageName, versionLabel, type LanguageManifest } from '@muscode/common';
import { launcherLabel, launcherVersion } from '../engine/container-spec.js';
import type { SandboxDriver } from './driver.js';

/**
 * The sandbox images this host has that the agent can use, and the language versions they
 * hold (announced in heartbeats). Only images with the launcher protocol this agent speaks:
 * an older launcher would run the program as its own uid (PROTOCOL.md, "Process rules").
 */
export async function findSandboxImages(
  driver: SandboxDriver,
  manifest: LanguageManifest,
  imageRepo: string,
) {
  const images = new Map(
    [...(await driver.images())].filter(([, labels]) => labels[launcherLabel] === launcherVersion),
  );
  // One entry per language version whose image is here, with the version labelled on it.
  const languages = manifest.languages.flatMap((l) =>
    languageVersions(l).flatMap((v) => {
      const labels = images.get(sandboxImageName(v.image, imageRepo));
      return labels ? [{ languageId: l.id, version: labels[versionLabel(l.id)] ?? '', image: v.image }] : [];
    }),
  );
  return { has: (image: string) => images.has(image), languages };
}
