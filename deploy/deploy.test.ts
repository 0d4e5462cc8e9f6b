import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

/** Checks every deployment file with the tool that reads it, or a schema-ish check where none is installed. */
const here = fileURLToPath(new URL('.', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'muscode-deploy-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests are arbitrary YAML
type Doc = Record<string, any>;

function manifests(): Doc[] {
  const dir = join(here, 'k8s');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) =>
      parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => {
        expect(d.errors, f).toEqual([]);
        return { ...(d.toJS() as Doc), __file: f };
      }),
    );
}

describe('nginx config', () => {
  it('passes nginx -t with a self-signed certificate', () => {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=muscode.test',
        '-keyout',
        join(tmp, 'privkey.pem'),
        '-out',
        join(tmp, 'fullchain.pem'),
      ],
      { stdio: 'ignore' },
    );
    const site = readFileSync(join(here, 'nginx/muscode.conf'), 'utf8').replaceAll('/etc/muscode/tls', tmp);
    writeFileSync(join(tmp, 'muscode.conf'), site);
    writeFileSync(
      join(tmp, 'nginx.conf'),
      `pid ${tmp}/nginx.pid;\nerror_log ${tmp}/error.log;\nevents {}\nhttp {\n  access_log off;\n  include ${tmp}/muscode.conf;\n}\n`,
    );
    const r = spawnSync('nginx', ['-t', '-p', tmp, '-c', join(tmp, 'nginx.conf')], { encoding: 'utf8' });
    expect(r.error, 'nginx is installed by deploy/local/provision.sh').toBeUndefined();
    expect(r.stderr).toContain('syntax is ok');
    expect(r.status, r.stderr).toBe(0);
    // Upgrade and rate limits are really there, not only syntactically valid.
    expect(site).toMatch(/proxy_set_header Upgrade \$http_upgrade/);
    expect(site).toMatch(/limit_req zone=muscode_auth/);
    expect(site).toMatch(/listen 443 ssl/);
  });
});

describe('local stack process liveness (up.sh, down.sh)', () => {
  const procs = join(here, 'local/procs.sh');
  /** proc_alive on a pid file holding `content`; true if it calls the process ours and alive. */
  const alive = (content: string) => {
    const file = join(tmp, `pid-${Math.random().toString(36).slice(2)}`);
    writeFileSync(file, content);
    return spawnSync('bash', ['-c', `source "${procs}"; proc_alive "${file}"`]).status === 0;
  };
  const record = (pid: number) => {
    const file = join(tmp, `rec-${pid}`);
    execFileSync('bash', ['-c', `source "${procs}"; proc_record "${file}" ${pid}`]);
    return readFileSync(file, 'utf8');
  };

  it('tells a live process recorded by up.sh from a zombie, a reused pid and a dead one', async () => {
    // A parent that never reaps its child: the child stays a zombie, on which `kill -0` succeeds.
    const parent = spawn('bash', ['-c', 'sleep 0.2 & echo $!; exec sleep 30'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    try {
      const [line] = (await once(parent.stdout, 'data')) as [Buffer];
      const child = Number(line.toString().trim());
      const recorded = record(child);
      expect(alive(recorded)).toBe(true);
      // Exited, unreaped: still answers kill -0 (what up.sh used to check)…
      for (
        let i = 0;
        i < 100 && readFileSync(`/proc/${child}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
        i++
      ) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(spawnSync('kill', ['-0', String(child)]).status).toBe(0);
      // …but is not a live agent.
      expect(alive(recorded)).toBe(false);

      // A live pid with another start time is some other process that got the pid.
      const [pid, start] = record(parent.pid!).trim().split(' ');
      expect(alive(`${pid} ${start}`)).toBe(true);
      expect(alive(`${pid} ${Number(start) + 1}`)).toBe(false);
      // A bare pid (an old pid file) or a gone pid is not trusted either.
      expect(alive(`${pid}`)).toBe(false);
    } finally {
      parent.kill('SIGKILL');
      await once(parent, 'exit');
    }
    expect(alive(record(parent.pid!))).toBe(false);
  });

  it('has up.sh and down.sh check liveness through procs.sh, not kill -0', () => {
    for (const f of ['local/up.sh', 'local/down.sh']) {
      const text = readFileSync(join(here, f), 'utf8');
      expect(text, f).toContain('proc_alive');
      expect(text, f).not.toMatch(/kill -0/);
      expect(spawnSync('bash', ['-n', join(here, f)]).status).toBe(0);
    }
  });
});

describe('systemd unit and installer', () => {
  it('passes systemd-analyze verify without warnings', () => {
    const unit = join(tmp, 'muscode-runner-agent.service');
    writeFileSync(unit, readFileSync(join(here, 'systemd/muscode-runner-agent.service'), 'utf8'));
    const r = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr.trim()).toBe('');
  });

  it('has an install script that parses and refuses to run without its settings', () => {
    const script = join(here, 'systemd/install-runner.sh');
    expect(spawnSync('bash', ['-n', script]).status).toBe(0);
    const r = spawnSync('bash', [script, '--region', 'eu-1'], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/--control-plane/);
  });
});

describe('compose file', () => {
  const compose = parse(readFileSync(join(here, 'compose/compose.yaml'), 'utf8'), { merge: true }) as Doc;

  it('runs the five services, the agent against the Docker socket with runsc', () => {
    expect(Object.keys(compose['services'] as Doc).sort()).toEqual(
      ['control-plane', 'gateway', 'migrate', 'postgres', 'redis', 'runner-agent'].sort(),
    );
    const agent = compose['services']['runner-agent'] as Doc;
    expect(agent['environment']['AGENT_RUNTIME']).toBe('runsc');
    expect(agent['volumes']).toContain('/var/run/docker.sock:/var/run/docker.sock');
    expect(compose['services']['redis']['command']).toContain('--appendonly');
  });

  it('publishes only the gateway, on loopback', () => {
    const published = Object.entries(compose['services'] as Record<string, Doc>).filter(
      ([, s]) => s['ports'],
    );
    expect(published.map(([n]) => n)).toEqual(['gateway']);
    expect(published[0]?.[1]['ports']).toEqual(['127.0.0.1:8080:8080']);
  });

  it('names only variables that the services read', () => {
    const prefixes: Record<string, string> = {
      'control-plane': 'CP_',
      migrate: 'CP_',
      gateway: 'GATEWAY_',
      'runner-agent': 'AGENT_',
    };
    for (const [name, prefix] of Object.entries(prefixes)) {
      const env = compose['services'][name]['environment'] as Doc;
      for (const key of Object.keys(env))
        if (key !== 'LOG_LEVEL') expect(key.startsWith(prefix), `${name}: ${key}`).toBe(true);
    }
  });
});

describe('Kubernetes manifests', () => {
  const docs = manifests();
  const byKind = (kind: string) => docs.filter((d) => d['kind'] === kind);

  it('are well-formed objects of known kinds in the muscode namespace', () => {
    const known = new Set([
      'Namespace',
      'ConfigMap',
      'Deployment',
      'DaemonSet',
      'Service',
      'RuntimeClass',
      'NetworkPolicy',
    ]);
    for (const d of docs) {
      expect(typeof d['apiVersion'], d['__file']).toBe('string');
      expect(known.has(d['kind']), `${d['__file']}: ${d['kind']}`).toBe(true);
      expect(d['metadata']?.['name'], d['__file']).toMatch(/^[a-z0-9-]+$/);
      if (!['Namespace', 'RuntimeClass'].includes(d['kind']))
        expect(d['metadata']['namespace']).toBe('muscode');
    }
  });

  it('run gateway and control-plane as Deployments with probes, selectors matching their pods', () => {
    for (const name of ['gateway', 'control-plane']) {
      const dep = byKind('Deployment').find((d) => d['metadata']['name'] === name);
      expect(dep, name).toBeDefined();
      expect(dep?.['apiVersion']).toBe('apps/v1');
      const labels = dep?.['spec']['template']['metadata']['labels'] as Doc;
      for (const [k, v] of Object.entries(dep?.['spec']['selector']['matchLabels'] as Doc))
        expect(labels[k]).toBe(v);
      const [container] = dep?.['spec']['template']['spec']['containers'] as Doc[];
      expect(container?.['readinessProbe']?.['httpGet']?.['path']).toBe('/api/v1/health');
      expect(container?.['livenessProbe']?.['httpGet']?.['path']).toBe('/metrics');
      const service = byKind('Service').find((s) => s['metadata']['name'] === name);
      for (const [k, v] of Object.entries(service?.['spec']['selector'] as Doc)) expect(labels[k]).toBe(v);
    }
  });

  it('put runner agents on the dedicated sandbox pool, with a gVisor RuntimeClass for that pool', () => {
    const rc = byKind('RuntimeClass')[0];
    expect(rc?.['apiVersion']).toBe('node.k8s.io/v1');
    expect(rc?.['handler']).toBe('runsc');
    const agents = byKind('DaemonSet').find((d) => d['metadata']['name'] === 'runner-agent');
    const pod = agents?.['spec']['template']['spec'] as Doc;
    expect(pod['nodeSelector']).toEqual(rc?.['scheduling']['nodeSelector']);
    expect(pod['tolerations']).toEqual(rc?.['scheduling']['tolerations']);
    const env = Object.fromEntries(
      (pod['containers'][0]['env'] as Doc[]).map((e) => [e['name'], e['value']]),
    );
    expect(env['AGENT_RUNTIME']).toBe('runsc');
    expect(pod['terminationGracePeriodSeconds']).toBeGreaterThan(
      Number(env['AGENT_DRAIN_TIMEOUT_MS']) / 1000,
    );
  });

  it('deny by default, and let runner agents reach only the RPC port, Redis and DNS', () => {
    const policies = byKind('NetworkPolicy');
    const deny = policies.find((p) => p['metadata']['name'] === 'default-deny');
    expect(deny?.['spec']['podSelector']).toEqual({});
    expect(deny?.['spec']['ingress']).toBeUndefined();
    const agent = policies.find(
      (p) => p['spec']['podSelector']['matchLabels']?.['app.kubernetes.io/name'] === 'runner-agent',
    );
    expect(agent?.['spec']['policyTypes']).toEqual(['Ingress', 'Egress']);
    const ports = (agent?.['spec']['egress'] as Doc[]).flatMap((e) =>
      (e['ports'] as Doc[]).map((p) => p['port']),
    );
    expect(new Set(ports)).toEqual(new Set([8082, 6379, 6380, 53]));
    // Only agents (and labelled tools) reach the control-plane's runner link.
    const cp = policies.find(
      (p) => p['spec']['podSelector']['matchLabels']?.['app.kubernetes.io/name'] === 'control-plane',
    );
    const rpc = (cp?.['spec']['ingress'] as Doc[]).find((i) => i['ports'][0]['port'] === 8082);
    expect(rpc?.['from']).toContainEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'runner-agent' } },
    });
  });

  it('keep Redis URLs (they carry ACL passwords) in the Secret, never in the ConfigMap', () => {
    const config = byKind('ConfigMap')[0]?.['data'] as Doc;
    expect(Object.keys(config).some((k) => /redis/i.test(k))).toBe(false);
  });

  it('reference only ConfigMap and Secret keys that exist or are documented', () => {
    const config = byKind('ConfigMap')[0]?.['data'] as Doc;
    const text = readFileSync(join(here, 'k8s/config.yaml'), 'utf8');
    for (const d of [...byKind('Deployment'), ...byKind('DaemonSet')]) {
      const pod = d['spec']['template']['spec'] as Doc;
      for (const c of [...(pod['initContainers'] ?? []), ...pod['containers']] as Doc[]) {
        for (const e of (c['env'] ?? []) as Doc[]) {
          const cm = e['valueFrom']?.['configMapKeyRef'];
          if (cm) expect(config[cm['key']], `${d['metadata']['name']} ${e['name']}`).toBeDefined();
          const secret = e['valueFrom']?.['secretKeyRef'];
          if (secret) expect(text, `${d['metadata']['name']} ${e['name']}`).toContain(secret['key']);
        }
      }
    }
  });
});
