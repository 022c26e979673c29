"""deploy/ (issue 19) tested like code: every Kubernetes manifest validates offline against the
API schemas of one pinned Kubernetes version; every hubcache flag the manifests use is one the
CLI has; and the manifests run as written (kube_pod.py plays the kubelet): the refresh CronJob
publishes the ConfigMap's manifest to radosgw, the node DaemonSet mounts the bucket, a client
with the job pod's variables loads a model offline from the mount, and the optional serve
DaemonSet answers a job online, a miss fetched from the Hub behind the bucket."""

import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import dockerfile_stage
import kubernetes_validate
import pytest

from conftest import CLIENT_VENVS, HfClient
from kube_pod import K8S, ROOT, Pod, documents, find, manifests, pod_spec
from radosgw import free_port
from test_hub_clients import BERT, repo_files, sha

# The Kubernetes version the manifests are validated against (kubernetes-validate bundles its
# schemas; tests/requirements.txt pins the package).
KUBERNETES_VERSION = "1.33.0"

def is_kustomization(path):
    return path.name == "kustomization.yaml"


def test_issue19_every_manifest_is_valid_for_the_pinned_kubernetes():
    checked = []
    for path, doc in manifests():
        if is_kustomization(path):
            continue
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            raise AssertionError(f"{path.relative_to(ROOT)}: {doc['kind']}/"
                                 f"{doc['metadata']['name']}: {error.message} at "
                                 f"{'.'.join(map(str, error.path))}") from None
        checked.append((doc["kind"], doc["metadata"]["name"]))
    kinds = sorted(kind for kind, _ in checked)
    assert kinds.count("DaemonSet") == 2 and kinds.count("ServiceAccount") == 2, kinds
    assert {"CronJob", "ConfigMap", "Namespace", "Job"} <= set(kinds), kinds


def test_issue19_the_validator_refuses_a_misspelt_field():
    """The check above can fail: strict validation names an unknown key."""
    daemonset = find("DaemonSet", "hubcache-mount")
    mount = daemonset["spec"]["template"]["spec"]["containers"][0]["volumeMounts"][0]
    mount["mountPropogation"] = mount.pop("mountPropagation")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(daemonset, KUBERNETES_VERSION, strict=True)


def test_issue19_the_kustomizations_name_every_manifest_and_the_image():
    for kustomization in sorted(K8S.rglob("kustomization.yaml")):
        [spec] = documents(kustomization)
        folder = kustomization.parent
        listed = set(spec["resources"])
        present = {p.name for p in folder.glob("*.yaml") if not is_kustomization(p)}
        assert listed == present, f"{kustomization}: lists {listed}, folder has {present}"
        [image] = spec["images"]
        for name in listed:
            for doc in documents(folder / name):
                if doc["kind"] in ("DaemonSet", "CronJob"):
                    pod = pod_spec(doc)
                    for c in pod.get("initContainers", []) + pod["containers"]:
                        assert c["image"].split(":")[0] == image["name"], (name, c["image"])


def test_issue19_what_an_operator_sets_is_marked():
    """The few values an operator must set each sit under a `# SET:` comment."""
    marked = []
    for path in sorted(K8S.rglob("*.yaml")):
        lines = path.read_text().splitlines()
        for n, line in enumerate(lines):
            if line.strip().startswith("# SET:"):
                following = next(lines[i] for i in range(n + 1, len(lines))
                                 if not lines[i].strip().startswith("#"))
                marked.append(following.strip().split(":")[0].lstrip("- "))
    assert sorted(marked) == sorted(["HUBCACHE_REMOTE", "AWS_REGION", "HUBCACHE_MAX_SIZE",
                                     "eks.amazonaws.com/role-arn", "eks.amazonaws.com/role-arn",
                                     "name", "name"]), marked


def setup_packages():
    text = (ROOT / "scripts" / "setup").read_text()
    block = text[text.index("PACKAGES=("):]
    return set(block[len("PACKAGES=("):block.index(")")].split())


def test_issue19_the_image_builds_with_the_build_packages_of_setup():
    build = " ".join(rest for _, rest in dockerfile_stage.stage("build"))
    needed = {p for p in setup_packages() if p.endswith("-dev")}
    # The tests', benchmarks' and fuzzers' libraries: the image builds without them.
    needed -= {"libgtest-dev", "libgmock-dev", "libbenchmark-dev", "libclang-rt-14-dev"}
    missing = {p for p in needed if not re.search(rf"(^|\s){re.escape(p)}(\s|$)", build)}
    assert not missing, f"deploy/Dockerfile's build stage lacks {sorted(missing)} (scripts/setup)"
    assert "scripts/package" in build
    runtime = dockerfile_stage.stage("runtime")
    assert ("FROM", "debian:bookworm-slim") in runtime
    assert any("deploy/runtime-packages.txt" in rest for _, rest in runtime)
    assert any("hubcache_*.deb" in rest for op, rest in runtime if op == "RUN")
    assert ("USER", "10001") in runtime and ("RUN", "hubcache --version") in runtime


# -- the manifests, run as written ------------------------------------------------------------

def hubcache_help(hubcache_bin, subcommand):
    done = subprocess.run([str(hubcache_bin), subcommand, "--help"], capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return set(re.findall(r"(--[a-z][a-z0-9-]*)", done.stdout))


def workloads():
    return [find("DaemonSet", "hubcache-mount"), find("CronJob", "hubcache-refresh"),
            find("DaemonSet", "hubcache-serve")]


def test_issue19_every_hubcache_flag_in_the_manifests_exists(hubcache_bin):
    for workload in workloads():
        for container in pod_spec(workload)["containers"]:
            if container.get("command") != ["hubcache"]:
                continue
            subcommand, *rest = container["args"]
            known = hubcache_help(hubcache_bin, subcommand)
            for word in rest:
                assert not word.startswith("--") or word in known, \
                    f"{workload['metadata']['name']}: hubcache {subcommand} has no {word}"


def config_maps(**settings):
    """The manifests' ConfigMaps as a kubelet sees them, with `settings` replacing values of
    hubcache-settings (the operator's edits)."""
    maps = {}
    for _, doc in manifests():
        if doc["kind"] == "ConfigMap":
            maps[doc["metadata"]["name"]] = dict(doc["data"])
    maps["hubcache-settings"].update(settings)
    return maps


def curated_repos():
    """The repos the ConfigMap's models.txt names, as `preload` reads them."""
    text = config_maps()["hubcache-models"]["models.txt"]
    return [line.split()[0] for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def is_mounted(path):
    return any(line.split()[1] == str(path) for line in Path("/proc/mounts").read_text().splitlines())


@pytest.mark.skipif(not Path("/dev/fuse").exists(), reason="no /dev/fuse: the node mount needs FUSE")
def test_issue19_the_manifests_run_as_written(hubcache_bin, fake_hub, radosgw, tmp_path):
    # The Hub has the curated repos of models.yaml (tiny BERTs under the same names), and one
    # repo the refresh job does not publish (the serve variant fetches it from the Hub).
    bert = repo_files(fake_hub, BERT)
    repos = curated_repos()
    assert repos, "models.yaml names no repo"
    for repo in repos:
        fake_hub.add_repo(repo, dict(bert))
    fake_hub.add_repo("acme/not-curated", dict(bert))
    bucket = radosgw.new_bucket()
    # The operator's edits, and an S3 API that is not AWS (the optional AWS_ENDPOINT_URL).
    settings = {"HUBCACHE_REMOTE": f"s3://{bucket}/ci", "HUBCACHE_UPSTREAM": fake_hub.url,
                "AWS_ENDPOINT_URL": radosgw.endpoint}
    maps = config_maps(**settings)
    # IRSA stands here as keys: read-write for the writer's role, read-only for the nodes'.
    writer_keys, node_keys = radosgw.env(), radosgw.env(ro=True)
    for keys in (writer_keys, node_keys):
        keys.pop("AWS_ENDPOINT_URL")
        keys.pop("AWS_REGION")

    def environment(pod, keys):
        base = {k: v for k, v in os.environ.items()
                if not k.startswith(("AWS_", "HF_", "HUBCACHE_"))}
        return {**base, **keys, **pod.process_env()}

    def command(pod):
        argv = pod.argv()
        assert argv[0] == "hubcache"
        return [str(hubcache_bin), *argv[1:]]

    # 1. The refresh CronJob: the Hub's CDN here is on a port of its own, which hubcache follows
    # only when allowed (huggingface.co's CDN hosts are allowed by default): the one addition.
    writer = Pod(find("CronJob", "hubcache-refresh"), tmp_path, maps)
    assert "HF_TOKEN" not in writer.env  # the Secret is optional, and absent here
    done = subprocess.run(command(writer) + fake_hub.allow_args(), capture_output=True,
                          text=True, env=environment(writer, writer_keys), timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"published to s3://{bucket}/ci" in done.stdout, done.stdout
    for repo in repos:
        assert f"ci/refs/models--{repo.replace('/', '--')}/main" in radosgw.keys(bucket, "ci/refs/")

    # 2. The node DaemonSet: the mount, its readiness probe, then SIGTERM as the kubelet sends.
    daemonset = find("DaemonSet", "hubcache-mount")
    node = Pod(daemonset, tmp_path, maps)
    argv = command(node)
    # The pod's own port for metrics and health is a free loopback port here.
    metrics_port = free_port()
    argv[argv.index("0.0.0.0:8781")] = f"127.0.0.1:{metrics_port}"
    mountpoint = node.host_path("/mnt/hf_cache")
    assert Path(argv[argv.index("mount") + 1]) == mountpoint
    stderr_path = tmp_path / "mount.stderr"
    with open(stderr_path, "w") as stderr:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=stderr, text=True,
                                env=environment(node, node_keys))
    try:
        line = proc.stdout.readline()
        assert line.startswith("mounted "), f"{line!r} {stderr_path.read_text()}"
        probe = node.exec_probe(node.container["readinessProbe"])
        for _ in range(100):
            if subprocess.run(probe).returncode == 0:
                break
            time.sleep(0.1)
        else:
            raise AssertionError(f"the readiness probe {probe} never passed")
        health = node.container["livenessProbe"]["httpGet"]["path"]
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}{health}", timeout=10) as r:
            assert r.status == 200

        # 3. A job pod: the host's /mnt/hf_cache through its own volume, its variables.
        job = Pod(find("Job", "hf-offline-example"), tmp_path, maps)
        env = job.process_env()
        assert env["HF_HUB_OFFLINE"] == "1" and Path(env["HF_HUB_CACHE"]) == mountpoint
        client = HfClient("hub-latest", CLIENT_VENVS["hub-latest"], tmp_path / "job-home")
        results = client.run([{"op": "auto", "repo": repos[0]},
                              {"op": "download", "repo": repos[-1], "file": "config.json"}],
                             cache=env["HF_HUB_CACHE"], offline=True, extra_env=env)
        assert results[0]["model_type"] == "bert", results
        assert results[1]["sha256"] == sha(bert["config.json"]), results
        # Lazy: the weights no one read stayed in the bucket.
        store = node.path("/var/lib/hubcache/store")
        held = {p.name for p in (store / "blobs" / "sha256").rglob("*") if p.is_file()}
        assert sha(bert["config.json"]) in held and sha(bert["model.safetensors"]) not in held
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/_hubcache/metrics",
                                    timeout=10) as r:
            assert "hubcache_remote_bytes_total" in r.read().decode()
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        grace = node.spec["terminationGracePeriodSeconds"]
        rc = proc.wait(timeout=grace)
    assert rc == 0, stderr_path.read_text()
    assert not is_mounted(mountpoint)
    assert subprocess.run(probe).returncode != 0, "the ready file outlived the mount"


def test_issue19_the_serve_variant_answers_jobs_online(hubcache_bin, fake_hub, radosgw, tmp_path):
    """The optional serve DaemonSet: the job's HF_ENDPOINT is the node's port; what the bucket
    has comes from it, and a repo it lacks from the Hub behind it."""
    bert = repo_files(fake_hub, BERT)
    fake_hub.add_repo("acme/published", dict(bert))
    fake_hub.add_repo("acme/not-published", dict(bert))
    bucket = radosgw.new_bucket()
    manifest = tmp_path / "models.txt"
    manifest.write_text("acme/published\n")
    done = subprocess.run([str(hubcache_bin), "preload", "--store", str(tmp_path / "writer"),
                           *fake_hub.upstream_args(), "--publish", f"s3://{bucket}/ci",
                           str(manifest)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **radosgw.env()})
    assert done.returncode == 0, done.stderr
    maps = config_maps(HUBCACHE_REMOTE=f"s3://{bucket}/ci", HUBCACHE_UPSTREAM=fake_hub.url,
                       AWS_ENDPOINT_URL=radosgw.endpoint)
    node = Pod(find("DaemonSet", "hubcache-serve"), tmp_path, maps)
    argv = node.argv()
    assert argv[0] == "hubcache"
    # The node's port 8780 here is any free loopback port; the Hub's CDN is allowed (above).
    argv = [str(hubcache_bin), *argv[1:], *fake_hub.allow_args()]
    argv[argv.index("0.0.0.0:8780")] = "127.0.0.1:0"
    keys = radosgw.env(ro=True)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "HF_", "HUBCACHE_"))},
           "AWS_ACCESS_KEY_ID": keys["AWS_ACCESS_KEY_ID"],
           "AWS_SECRET_ACCESS_KEY": keys["AWS_SECRET_ACCESS_KEY"], **node.process_env()}
    stderr_path = tmp_path / "serve.stderr"
    with open(stderr_path, "w") as stderr:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env)
    try:
        line = proc.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:"), f"{line!r} {stderr_path.read_text()}"
        port = int(line.rsplit(":", 1)[1])
        probe = node.container["readinessProbe"]["httpGet"]["path"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{probe}", timeout=10) as response:
            assert response.status == 200
        job = Pod(find("Job", "hf-online-example"), tmp_path, maps,
                  field_refs={"status.hostIP": "127.0.0.1"})
        job_env = job.process_env()
        assert job_env["HF_ENDPOINT"] == "http://127.0.0.1:8780"
        job_env["HF_ENDPOINT"] = f"http://127.0.0.1:{port}"
        client = HfClient("hub-latest", CLIENT_VENVS["hub-latest"], tmp_path / "job-home")
        results = client.run([{"op": "auto", "repo": "acme/published"},
                              {"op": "auto", "repo": "acme/not-published"}],
                             endpoint=job_env["HF_ENDPOINT"], extra_env=job_env)
        assert [r["model_type"] for r in results] == ["bert", "bert"], results
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_hubcache/stats", timeout=10) as r:
            tiers = json.loads(r.read())["tiers"]
        assert tiers["remote"]["hits"] > 0 and tiers["upstream"]["fetches"] > 0, tiers
    finally:
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=node.spec["terminationGracePeriodSeconds"])
    assert rc == 0, stderr_path.read_text()
