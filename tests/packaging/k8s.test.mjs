// The Kubernetes manifests of packaging/k8s: every object valid against the Kubernetes API
// schemas (kubernetes-models, which validates with the OpenAPI schemas of the API server), and
// wired together as docs/operations.md says: the Service and the HPA select the Deployment, the
// ConfigMap holds the shipped capability, the pods run as non-root with a read-only root.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { opts, packagingDir, repoRoot } from './common.mjs';

async function loadObjects() {
  const { parseAllDocuments } = await import('yaml');
  const dir = join(packagingDir, 'k8s');
  const objects = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      assert.deepEqual(doc.errors, [], file);
      objects.push({ file, object: doc.toJS() });
    }
  }
  return objects;
}

// kubernetes-models/<group>/<version>/<Kind> ("v1" is the core group).
async function modelFor(apiVersion, kind) {
  const module = await import(`kubernetes-models/${apiVersion}/${kind}`);
  return module[kind];
}

describe('Kubernetes manifests', opts, () => {
  test('every object is valid for its apiVersion and kind', async () => {
    const objects = await loadObjects();
    assert.deepEqual(
      objects.map((o) => o.object.kind).sort(),
      ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'Secret', 'Service'],
    );
    for (const { file, object } of objects) {
      const Model = await modelFor(object.apiVersion, object.kind);
      assert.doesNotThrow(() => new Model(object).validate(), `${file}: ${object.kind}`);
    }
    // The validation is real: a wrong type is refused.
    const Deployment = await modelFor('apps/v1', 'Deployment');
    const bad = structuredClone(objects.find((o) => o.object.kind === 'Deployment').object);
    bad.spec.replicas = 'three';
    assert.throws(() => new Deployment(bad).validate(), /replicas must be integer/);
  });

  test('the objects fit together and the pods are locked down', async () => {
    const byKind = Object.fromEntries((await loadObjects()).map((o) => [o.object.kind, o.object]));
    const deployment = byKind.Deployment;
    const labels = deployment.spec.template.metadata.labels;
    assert.deepEqual(deployment.spec.selector.matchLabels, labels);
    assert.deepEqual(byKind.Service.spec.selector, labels);
    assert.equal(byKind.HorizontalPodAutoscaler.spec.scaleTargetRef.name, deployment.metadata.name);
    assert.ok(byKind.HorizontalPodAutoscaler.spec.minReplicas >= 3);
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    assert.equal(container.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(container.securityContext.capabilities.drop, ['ALL']);
    assert.ok(container.readinessProbe && container.livenessProbe);
    // The ports the probes and the Service name exist on the container.
    const ports = new Set(container.ports.map((p) => p.name));
    for (const p of byKind.Service.spec.ports) assert.ok(ports.has(p.targetPort), p.targetPort);
    // The probes are the control adapter's, on the port --control-port opens.
    assert.equal(container.readinessProbe.httpGet.path, '/health/ready');
    assert.equal(container.livenessProbe.httpGet.path, '/health/live');
    const control = container.ports.find((p) => p.name === container.readinessProbe.httpGet.port);
    assert.ok(container.args.includes(`--control-port=${control.containerPort}`));
    assert.ok(!byKind.Service.spec.ports.some((p) => p.targetPort === control.name));
    // The capabilities volume is the ConfigMap, mounted where the args say, watched.
    const volume = pod.volumes.find((v) => v.configMap);
    assert.equal(volume.configMap.name, byKind.ConfigMap.metadata.name);
    const mount = container.volumeMounts.find((m) => m.name === volume.name);
    assert.equal(container.args[0], mount.mountPath);
    assert.ok(container.args.includes('--watch'));
    // Secrets come from the Secret, the session key included (shared by the replicas).
    assert.equal(container.envFrom[0].secretRef.name, byKind.Secret.metadata.name);
    assert.ok('CAPSTAN_MCP_SESSION_KEY' in byKind.Secret.stringData);
    // The ConfigMap carries the shipped seed, byte for byte.
    assert.equal(
      byKind.ConfigMap.data['scaleway-iam-jwts.yaml'],
      readFileSync(join(repoRoot, 'capabilities', 'scaleway-iam-jwts.yaml'), 'utf8'),
    );
  });
});
