"""The Helm chart (deploy/helm/funnelstream): `helm lint` clean,
`helm template` valid Kubernetes (kubernetes-validate --strict, its own
schemas), and the rendered objects carry what operating it needs — checked here
because schema validation does not see meaning: probes on healthz/readyz,
resources, non-root read-only containers, addresses and credentials from
Secrets, a KEDA ScaledObject on the group's lag with max replicas <=
partitions, an HPA for the collector, PodDisruptionBudgets.

There is no cluster here: nothing is applied.  Needs helm and
kubernetes-validate (scripts/install-deps --deploy puts both in
~/.cache/funnelstream).
"""

import os
import shutil
import subprocess

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHART = os.path.join(ROOT, "deploy", "helm", "funnelstream")
CACHE = os.environ.get("FUNNEL_CACHE_DIR", os.path.expanduser("~/.cache/funnelstream"))
KUBE = "1.29.0"


def tool(name, cached):
    path = shutil.which(name) or (cached if os.access(cached, os.X_OK) else None)
    assert path, f"{name} not found (scripts/install-deps --deploy)"
    return path


HELM = tool("helm", os.path.join(CACHE, "bin", "helm"))
VALIDATE = tool("kubernetes-validate", os.path.join(CACHE, "venv", "bin", "kubernetes-validate"))


def helm(*args, check=True):
    p = subprocess.run([HELM, *args], capture_output=True, text=True, timeout=120)
    if check:
        assert p.returncode == 0, p.stderr
    return p


def render(*sets, release="fs"):
    args = ["template", release, CHART, "--kube-version", KUBE]
    for s in sets:
        args += ["--set", s]
    docs = [d for d in yaml.safe_load_all(helm(*args).stdout) if d]
    return docs


def objs(docs, kind):
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def one(docs, kind, component):
    found = [d for d in docs if d["kind"] == kind and
             d["metadata"]["labels"].get("app.kubernetes.io/component") == component]
    assert len(found) == 1, (kind, component, [d["metadata"]["name"] for d in found])
    return found[0]


def container(dep):
    cs = dep["spec"]["template"]["spec"]["containers"]
    assert len(cs) == 1
    return cs[0]


def env_of(c):
    return {e["name"]: e for e in c.get("env", [])}


def test_lint_is_clean():
    p = helm("lint", "--strict", CHART, "--kube-version", KUBE)
    assert "0 chart(s) failed" in p.stdout, p.stdout
    assert "[WARNING]" not in p.stdout and "[ERROR]" not in p.stdout, p.stdout


@pytest.mark.parametrize("sets", [
    [],
    ["worker.autoscaling.enabled=false", "collector.autoscaling.enabled=false"],
    ["connection.existingSecret=mine", "connection.existingSecretHas.redisPassword=true",
     "connection.existingSecretHas.kafkaClientConfig=true"],
    ["connection.redisPassword=s3cret", "connection.kafkaClientConfig=kafka.security.protocol = SSL"],
])
def test_template_is_valid_kubernetes(tmp_path, sets):
    docs = render(*sets)
    builtin = [d for d in docs if not d["apiVersion"].startswith("keda.sh/")]
    f = tmp_path / "rendered.yaml"
    f.write_text(yaml.safe_dump_all(builtin))
    p = subprocess.run([VALIDATE, "--strict", "-k", KUBE, str(f)], capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.count(" passed for resource ") == len(builtin), p.stdout


def test_objects_carry_what_operations_need():
    docs = render()
    secrets = objs(docs, "Secret")
    assert list(secrets) == ["fs-funnelstream-connection"]
    secret = secrets["fs-funnelstream-connection"]
    assert set(secret["stringData"]) == {"kafka-brokers", "redis-url"}

    ports = {"collector": 8080, "worker": 9100, "dashboard": 8090}
    commands = {"collector": "funnel-collector", "worker": "funnel-worker",
                "dashboard": "funnel-query"}
    for comp, port in ports.items():
        dep = one(docs, "Deployment", comp)
        pod = dep["spec"]["template"]
        assert set(dep["spec"]["selector"]["matchLabels"].items()) <= set(pod["metadata"]["labels"].items())
        psc = pod["spec"]["securityContext"]
        assert psc["runAsNonRoot"] is True and psc["runAsUser"] != 0, psc
        c = container(dep)
        assert c["command"] == [commands[comp]]
        sc = c["securityContext"]
        assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
        assert sc["capabilities"]["drop"] == ["ALL"]
        assert {"name": "http", "containerPort": port, "protocol": "TCP"} in c["ports"]
        assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
        res = c["resources"]
        assert res["requests"]["cpu"] and res["requests"]["memory"] and res["limits"]["memory"]
        env = env_of(c)
        for name, key in (("FUNNEL_KAFKA_BROKERS", "kafka-brokers"), ("FUNNEL_REDIS_URL", "redis-url")):
            assert env[name]["valueFrom"]["secretKeyRef"] == {"name": secret["metadata"]["name"], "key": key}
        assert not any("redis://" in str(e.get("value", "")) for e in c["env"]), c["env"]
        assert "FUNNEL_REDIS_PASSWORD_FILE" not in env  # no password given
        # a writable /tmp on a read-only root
        assert {"name": "tmp", "mountPath": "/tmp"} in c["volumeMounts"]
        ann = pod["metadata"]["annotations"]
        assert ann["prometheus.io/port"] == str(port) and ann["prometheus.io/path"] == "/metrics"
        pdb = one(docs, "PodDisruptionBudget", comp)
        assert pdb["spec"]["selector"]["matchLabels"] == dep["spec"]["selector"]["matchLabels"]

    worker = one(docs, "Deployment", "worker")
    assert "replicas" not in worker["spec"]  # KEDA owns it
    assert env_of(container(worker))["FUNNEL_WORKER_LISTEN"]["value"] == "0.0.0.0:9100"
    dash = container(one(docs, "Deployment", "dashboard"))
    assert dash["args"][:3] == ["serve", "--listen", "0.0.0.0:8090"]

    for comp in ("collector", "dashboard"):
        svc = one(docs, "Service", comp)
        dep = one(docs, "Deployment", comp)
        assert svc["spec"]["selector"] == dep["spec"]["selector"]["matchLabels"]
        assert svc["spec"]["ports"][0]["targetPort"] == "http"
    assert not [d for d in docs if d["kind"] == "Service" and
                d["metadata"]["labels"]["app.kubernetes.io/component"] == "worker"]

    hpa = one(docs, "HorizontalPodAutoscaler", "collector")
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                             "name": one(docs, "Deployment", "collector")["metadata"]["name"]}
    assert "replicas" not in one(docs, "Deployment", "collector")["spec"]

    so = one(docs, "ScaledObject", "worker")
    assert so["apiVersion"] == "keda.sh/v1alpha1"
    assert so["spec"]["scaleTargetRef"]["name"] == worker["metadata"]["name"]
    assert 1 <= so["spec"]["minReplicaCount"] <= so["spec"]["maxReplicaCount"] <= 6
    (trig,) = so["spec"]["triggers"]
    assert trig["type"] == "kafka"
    md = trig["metadata"]
    wenv = env_of(container(worker))
    assert md["consumerGroup"] == wenv["FUNNEL_GROUP"]["value"] == "funnel-workers"
    assert md["topic"] == wenv["FUNNEL_TOPIC"]["value"] == "journey.events"
    assert md["bootstrapServersFromEnv"] in wenv
    assert md["lagThreshold"] == "90000"
    assert md["allowIdleConsumers"] == "false"


def test_worker_replicas_never_exceed_partitions():
    p = helm("template", "fs", CHART, "--kube-version", KUBE, "--set",
             "worker.autoscaling.maxReplicas=7", check=False)
    assert p.returncode != 0 and "exceeds kafkaPartitions" in p.stderr, p.stderr
    p = helm("template", "fs", CHART, "--kube-version", KUBE, "--set",
             "worker.autoscaling.enabled=false", "--set", "worker.replicas=9", check=False)
    assert p.returncode != 0 and "exceeds kafkaPartitions" in p.stderr, p.stderr
    docs = render("kafkaPartitions=12", "worker.autoscaling.maxReplicas=12")
    assert one(docs, "ScaledObject", "worker")["spec"]["maxReplicaCount"] == 12


def test_without_autoscaling():
    docs = render("worker.autoscaling.enabled=false", "collector.autoscaling.enabled=false",
                  "worker.replicas=3", "collector.replicas=2")
    assert not objs(docs, "ScaledObject") and not objs(docs, "HorizontalPodAutoscaler")
    assert one(docs, "Deployment", "worker")["spec"]["replicas"] == 3
    assert one(docs, "Deployment", "collector")["spec"]["replicas"] == 2


def test_credentials_as_files_from_the_secret():
    docs = render("connection.redisPassword=s3cret",
                  "connection.kafkaClientConfig=kafka.security.protocol = SSL")
    secret = objs(docs, "Secret")["fs-funnelstream-connection"]
    assert secret["stringData"]["redis-password"] == "s3cret"
    assert secret["stringData"]["kafka-client.conf"] == "kafka.security.protocol = SSL"
    for comp in ("collector", "worker", "dashboard"):
        dep = one(docs, "Deployment", comp)
        c = container(dep)
        assert env_of(c)["FUNNEL_REDIS_PASSWORD_FILE"]["value"] == "/etc/funnelstream/secret/redis-password"
        assert "s3cret" not in yaml.safe_dump(dep)
        args = c["args"]
        i = args.index("--config")
        assert args[i + 1] == "/etc/funnelstream/secret/kafka-client.conf"
        mount = [m for m in c["volumeMounts"] if m["name"] == "connection"][0]
        assert mount["mountPath"] == "/etc/funnelstream/secret" and mount["readOnly"] is True
        vol = [v for v in dep["spec"]["template"]["spec"]["volumes"] if v["name"] == "connection"][0]
        assert vol["secret"]["secretName"] == secret["metadata"]["name"]


def test_existing_secret():
    docs = render("connection.existingSecret=mine")
    assert not objs(docs, "Secret")
    for comp in ("collector", "worker", "dashboard"):
        env = env_of(container(one(docs, "Deployment", comp)))
        assert env["FUNNEL_KAFKA_BROKERS"]["valueFrom"]["secretKeyRef"]["name"] == "mine"
        assert "FUNNEL_REDIS_PASSWORD_FILE" not in env
