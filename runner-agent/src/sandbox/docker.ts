import { PassThrough, type Duplex } from 'node:stream';
import Docker from 'dockerode';
import type { ContainerCreateOptions } from 'dockerode';
import { managedLabel, runnerLabel } from '../engine/container-spec.js';

export interface SandboxExit {
  exitCode: number | undefined;
  oomKilled: boolean;
}

/** A started sandbox: its launcher's stdin, its demultiplexed stdout, and how to end it. */
export interface Sandbox {
  id: string;
  stdin: Duplex;
  stdout: PassThrough;
  stderr: PassThrough;
  /** Resolves when the attach stream ends, i.e. all output has been read. */
  ended: Promise<void>;
  /** Exit state from Docker; only call once the sandbox has stopped. */
  exit(): Promise<SandboxExit>;
  kill(): Promise<void>;
  remove(): Promise<void>;
}

/** The seam between the engine and the container runtime. */
export interface SandboxDriver {
  start(spec: ContainerCreateOptions): Promise<Sandbox>;
  /** Removes every sandbox a runner left behind (after a crash), returning how many. */
  reap(runnerId: string): Promise<number>;
  /** Image labels by image name, for images carrying `dev.muscode.image`. */
  images(): Promise<Map<string, Record<string, string>>>;
  ping(): Promise<void>;
}

const ignoreGone = (err: unknown) => {
  const status = (err as { statusCode?: number }).statusCode;
  if (status === 404 || status === 409 || status === 304) return;
  throw err;
};

export function createDockerDriver(socketPath: string): SandboxDriver {
  const docker = new Docker({ socketPath });

  return {
    async start(spec) {
      const container = await docker.createContainer(spec);
      try {
        // Attach before start so not a byte of the launcher's output is missed.
        const stream = (await container.attach({
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
            await container.remove({ force: true, v: true }).catch(ignoreGone);
          },
        };
      } catch (err) {
        await container.remove({ force: true }).catch(() => undefined);
        throw err;
      }
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
      await docker.ping();
    },
  };
}
