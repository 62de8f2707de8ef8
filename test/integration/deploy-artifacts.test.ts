/**
 * The container and Kubernetes artifacts, checked without a container engine or a cluster
 * (neither runs here): the Dockerfile by hadolint and by its promises (multi-stage, Node 24
 * slim, non-root, production dependencies only, a health check, no secret inside); the
 * compose demo and the Helm chart (helm lint, helm template) by the Kubernetes API schemas
 * (kubernetes-models) and by the server's own configuration check: what they set up must
 * be a configuration the server accepts.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Service } from 'kubernetes-models/v1';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/app/config.ts';
import { hadolint, helm } from '../harness/tools.ts';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const CHART = join(ROOT, 'chart/trino-mcp');
const SECRET_VARIABLES = [
  'TRINO_PASSWORD',
  'JWT_SECRET',
  'OTEL_EXPORTER_OTLP_HEADERS',
  'MCP_CURSOR_SECRET',
  'TRINO_ACCESS_TOKEN',
  'TRINO_OAUTH_CLIENT_SECRET',
  'TRINO_SSL_KEY_PASSPHRASE',
];
/** The secrets of one working configuration: basic auth to Trino (over HTTPS), HMAC tokens, cursors for replicas. */
const BASIC_AUTH_SECRETS = ['TRINO_PASSWORD', 'JWT_SECRET', 'OTEL_EXPORTER_OTLP_HEADERS', 'MCP_CURSOR_SECRET'];

/** The files `npm run build` names (its runtime check, its configuration, its scripts): the image's build stage needs each. */
function buildInputs(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  return [...pkg.scripts['build']!.matchAll(/[\w.-]+\/[\w./-]+|[\w.-]+\.json\b/g)].map((m) => m[0]);
}

/** What a Dockerfile must promise; the problems found (empty: none). */
function dockerfileProblems(text: string): string[] {
  const lines = text.split('\n').map((l) => l.trim());
  const problems: string[] = [];
  const froms = lines.filter((l) => /^FROM\s/i.test(l));
  if (froms.length < 2) problems.push('not multi-stage');
  const buildStage = lines.slice(lines.indexOf(froms[0]!), lines.lastIndexOf(froms.at(-1)!));
  const copied = buildStage.filter((l) => /^COPY\s/i.test(l) && !/--from/.test(l)).flatMap((l) => l.split(/\s+/).slice(1, -1));
  for (const input of buildInputs()) {
    if (!copied.some((c) => input === c || input.startsWith(`${c.replace(/\/$/, '')}/`))) problems.push(`the build stage does not copy ${input}, which npm run build uses`);
  }
  const final = lines.slice(lines.lastIndexOf(froms.at(-1)!));
  if (!/^FROM node:24-slim\b/.test(froms.at(-1) ?? '')) problems.push('the final stage is not node:24-slim');
  if (!final.some((l) => /npm ci\b.*--omit=dev/.test(l))) problems.push('the final stage does not npm ci --omit=dev');
  const user = final.filter((l) => /^USER\s/i.test(l)).at(-1);
  if (!user || /^USER\s+(root|0)(:|$)/i.test(user)) problems.push('the final stage runs as root');
  if (!final.some((l) => /^HEALTHCHECK\b/.test(l)) || !final.join('\n').includes('/healthz')) problems.push('no HEALTHCHECK on /healthz');
  for (const l of lines) {
    if (/^(ENV|ARG)\b/i.test(l) && /(PASSWORD|SECRET|TOKEN|_KEY\b|HEADERS)/i.test(l)) problems.push(`a secret baked in: ${l}`);
  }
  return problems;
}

describe('Dockerfile', () => {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

  it('passes hadolint with no finding, at every severity', async () => {
    const bin = await hadolint();
    const { stdout } = await run(bin, ['--failure-threshold', 'info', '--no-color', join(ROOT, 'Dockerfile')]).catch((err: { stdout: string }) => {
      throw new Error(`hadolint found:\n${err.stdout}`);
    });
    expect(stdout.trim()).toBe('');
  }, 600_000);

  it('keeps its promises; the same checks catch a Dockerfile that breaks them', () => {
    expect(dockerfileProblems(text)).toEqual([]);
    expect(buildInputs()).toEqual(expect.arrayContaining(['bin/node-check.cjs', 'tsconfig.build.json', 'scripts/vendor.ts']));
    const bad = text.replace(/^COPY scripts\/vendor\.ts .*\n/m, '').replace('USER 1000:1000', 'USER root').replace('--omit=dev ', '').replace(/HEALTHCHECK[\s\S]*?\n(?=ENTRYPOINT)/, '') + '\nENV TRINO_PASSWORD=hunter2\n';
    expect(dockerfileProblems(bad)).toEqual([
      'the build stage does not copy scripts/vendor.ts, which npm run build uses',
      'the final stage does not npm ci --omit=dev',
      'the final stage runs as root',
      'no HEALTHCHECK on /healthz',
      'a secret baked in: ENV TRINO_PASSWORD=hunter2',
    ]);
  });

  it('the build context leaves out local secrets and build output', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['.env', '.env.*', '*.pem', '*.key', 'node_modules', 'dist', '.git']) expect(ignored).toContain(entry);
  });
});

describe('docker-compose.yml (the local OAuth demo)', () => {
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, { ports?: string[]; environment?: Record<string, string> }>;
  };
  const realm = JSON.parse(readFileSync(join(ROOT, 'deploy/keycloak/realm-trino-mcp.json'), 'utf8')) as {
    realm: string;
    clientScopes: Array<{ name: string }>;
    clients: Array<{ defaultClientScopes: string[]; protocolMappers: Array<{ config: Record<string, string> }> }>;
  };

  it('wires Trino, Keycloak and the server, each published on the host loopback only', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['keycloak', 'trino', 'trino-mcp']);
    for (const [name, service] of Object.entries(compose.services)) {
      for (const port of service.ports ?? []) expect(port, `${name} publishes ${port}`).toMatch(/^127\.0\.0\.1:/);
    }
  });

  it("the server's environment, on top of the image's, is a configuration the server accepts, and Keycloak issues what it asks for", () => {
    const env = compose.services['trino-mcp']!.environment!;
    const loaded = loadConfig({ MCP_TRANSPORT: 'http', MCP_HOST: '0.0.0.0', MCP_PORT: '8080', ...env });
    expect(loaded.ok ? [] : loaded.errors).toEqual([]);
    const client = realm.clients[0]!;
    expect(env['OIDC_ISSUER']).toBe(`http://localhost:8180/realms/${realm.realm}`);
    expect(client.protocolMappers.map((m) => m.config['included.custom.audience'])).toContain(env['OIDC_AUDIENCE']);
    for (const scope of env['OAUTH_REQUIRED_SCOPES']!.split(' ')) {
      expect(realm.clientScopes.map((s) => s.name)).toContain(scope);
      expect(client.defaultClientScopes).toContain(scope);
    }
  });
});

describe('Helm chart', () => {
  let bin: string;
  beforeAll(async () => {
    bin = await helm();
  }, 1_800_000);

  const template = async (...set: string[]) => {
    const { stdout } = await run(bin, ['template', 'demo', CHART, ...set.flatMap((s) => ['--set', s])]);
    return parseAllDocuments(stdout).map((d) => d.toJS() as { kind: string } & Record<string, unknown>).filter(Boolean);
  };

  it('passes helm lint --strict, with the defaults and with every option on', async () => {
    await run(bin, ['lint', '--strict', CHART]);
    await run(bin, ['lint', '--strict', CHART, '--set', 'ingress.enabled=true', '--set', 'secrets.TRINO_PASSWORD.name=trino']);
  }, 120_000);

  it('renders manifests valid against the Kubernetes API schemas', async () => {
    const docs = await template('ingress.enabled=true', 'ingress.className=nginx', 'secrets.TRINO_PASSWORD.name=trino-credentials');
    expect(docs.map((d) => d.kind).sort()).toEqual(['Deployment', 'Ingress', 'PodDisruptionBudget', 'Service']);
    const models = { Deployment, Service, Ingress, PodDisruptionBudget } as const;
    for (const doc of docs) new models[doc.kind as keyof typeof models](doc as never).validate();
    // The validator itself refuses what Kubernetes would (a port that is no number).
    const deployment = docs.find((d) => d.kind === 'Deployment')! as never as Deployment;
    const broken = structuredClone(deployment) as unknown as { spec: { template: { spec: { containers: Array<{ ports: Array<{ containerPort: unknown }> }> } } } };
    broken.spec.template.spec.containers[0]!.ports[0]!.containerPort = 'eighty';
    expect(() => new Deployment(broken as never).validate()).toThrow();
  }, 120_000);

  it('the Deployment probes /healthz and /readyz, requests resources, runs as non-root, and takes every secret from a Secret', async () => {
    const secrets = SECRET_VARIABLES.map((v, i) => `secrets.${v}.name=secret-${i}`);
    const docs = await template(...secrets);
    const deployment = docs.find((d) => d.kind === 'Deployment') as never as Deployment;
    const pod = deployment.spec!.template.spec!;
    const container = pod.containers[0]!;
    expect(container.livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(container.readinessProbe?.httpGet?.path).toBe('/readyz');
    expect(container.resources?.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    const env = container.env ?? [];
    for (const variable of SECRET_VARIABLES) {
      const entry = env.find((e) => e.name === variable);
      expect(entry?.value, `${variable} has no literal value`).toBeUndefined();
      expect(entry?.valueFrom?.secretKeyRef?.name).toMatch(/^secret-\d$/);
    }
    // What the chart sets is a configuration the server accepts (secrets stand in as dummies);
    // a password goes to Trino over HTTPS only.
    const working = await template(...BASIC_AUTH_SECRETS.map((v, i) => `secrets.${v}.name=secret-${i}`), 'env.TRINO_SCHEME=https', 'env.TRINO_PORT=8443');
    const workingEnv = (working.find((d) => d.kind === 'Deployment') as never as Deployment).spec!.template.spec!.containers[0]!.env ?? [];
    const long = new Set(['JWT_SECRET', 'MCP_CURSOR_SECRET']);
    const vars = Object.fromEntries(workingEnv.map((e) => [e.name, e.value ?? (long.has(e.name) ? 'x'.repeat(32) : 'dummy')]));
    const loaded = loadConfig(vars);
    expect(loaded.ok ? [] : loaded.errors).toEqual([]);
    // The metrics port is a port of the Service but never of the Ingress.
    const ingress = (await template('ingress.enabled=true')).find((d) => d.kind === 'Ingress') as never as Ingress;
    const backends = ingress.spec!.rules!.flatMap((r) => r.http!.paths.map((p) => p.backend.service!.port!.name));
    expect(backends).toEqual(['http']);
  }, 120_000);

  it('refuses a secret given as a plain value', async () => {
    const values = join(mkdtempSync(join(tmpdir(), 'chart-')), 'values.yaml');
    writeFileSync(values, 'env:\n  TRINO_PASSWORD: hunter2\n');
    const failure = await run(bin, ['template', 'demo', CHART, '-f', values]).then(
      () => undefined,
      (err: { stderr: string }) => err.stderr,
    );
    expect(failure).toContain('secrets.TRINO_PASSWORD');
  }, 120_000);
});
