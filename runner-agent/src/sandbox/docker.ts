import { PassThrough, type Duplex } from 'node:stream';
import Docker from 'dockerode';
import { dockerCreateOptions, managedLabel, runnerLabel } from './docker-spec.js';
import type { SandboxDriver } from './driver.js';

const ignoreGone = (err: unknown) => {
  const status = (err as { statusCode?: number }).statusCode;
  if (status === 404 || status === 409 || status === 304) return;
  throw err;
};

export interface DockerDriverOptions {
  socketPath: string;
  /**
   * Longest wait for one Engine API call (create, start, inspect, kill, remove, list, ping):
   * a hung daemon fails the call instead of holding the job forever. Attach streams, which
   * stay quiet while a program sleeps, are not bounded by it.
   */
  callTimeoutMs: number;
}

/** The SandboxDriver on the Docker Engine API (with runsc as the container runtime). */
export function createDockerDriver(options: DockerDriverOptions | string): SandboxDriver {
  const opts = typeof options === 'string' ? { socketPath: options, callTimeoutMs: 30_000 } : options;
  const docker = new Docker({ socketPath: opts.socketPath, timeout: opts.callTimeoutMs });
  // The timeout above is a socket idle timeout; it would cut an attach stream of a program
  // that prints nothing for a while.
  const streams = new Docker({ socketPath: opts.socketPath });
  // Sandboxes started and not yet removed by this driver (any other of its runner's is an orphan).
  const held = new Set<string>();

  return {
    async start(spec) {
      const container = await docker.createContainer(dockerCreateOptions(spec));
      held.add(container.id);
      try {
        // Attach before start so not a byte of the launcher's output is missed.
        const stream = (await streams.getContainer(container.id).attach({
          stream: true,
          hijack: true,
          stdin: true,
          stdout: true,
          stderr: true,
        })) as unknown as Duplex;
        const stdout = new PassThrough();
        const stderr = new PassThrough();
        docker.modem.demuxStream(stream, stdout, stderr);
        const ended = new Promise<void>((resolve) => {
          stream.once('end', resolve);
          stream.once('close', resolve);
          stream.once('error', () => resolve());
        });
        await container.start();
        return {
          id: container.id,
          stdin: stream,
          stdout,
          stderr,
          ended,
          async exit() {
            const info = await container.inspect();
            return {
              exitCode: info.State.Running ? undefined : info.State.ExitCode,
              oomKilled: info.State.OOMKilled,
            };
          },
          async kill() {
            await container.kill({ signal: 'SIGKILL' }).catch(ignoreGone);
          },
          async remove() {
            stream.destroy();
            // Not held any more even if this fails: the orphan reaper retries it.
            held.delete(container.id);
            await container.remove({ force: true, v: true }).catch(ignoreGone);
          },
        };
      } catch (err) {
        held.delete(container.id);
        await container.remove({ force: true }).catch(() => undefined);
        throw err;
      }
    },

    async reapOrphans(runnerId, minAgeMs) {
      const mine = await docker.listContainers({
        all: true,
        filters: { label: [`${managedLabel}=true`, `${runnerLabel}=${runnerId}`] },
      });
      // Younger ones may be a create this driver has not heard back from yet.
      const before = (Date.now() - minAgeMs) / 1000;
      const orphans = mine.filter((c) => !held.has(c.Id) && c.Created <= before);
      await Promise.all(
        orphans.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(ignoreGone)),
      );
      return orphans.length;
    },

    async reap(runnerId) {
      const leftovers = await docker.listContainers({
        all: true,
        filters: { label: [`${managedLabel}=true`, `${runnerLabel}=${runnerId}`] },
      });
      await Promise.all(
        leftovers.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(ignoreGone)),
      );
      return leftovers.length;
    },

    async images() {
      const list = await docker.listImages({ filters: { label: ['dev.muscode.image'] } });
      const byName = new Map<string, Record<string, string>>();
      for (const img of list) {
        for (const tag of img.RepoTags ?? []) byName.set(tag, img.Labels ?? {});
      }
      return byName;
    },

    async ping() {
      // Bounded by callTimeoutMs like every other call.
      await docker.ping();
    },
  };
}
