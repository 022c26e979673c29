"""What a kubelet does with a container of deploy/k8s, done on this machine so a test can run
the container's command as written: its environment from `env` and `envFrom` (ConfigMaps and
Secrets given as dicts), `$(VAR)` expanded in command and args as Kubernetes expands them, and
every path under a volumeMount mapped to a folder of the test's (a hostPath under a fake host
root, an emptyDir or a ConfigMap's files under folders of their own)."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"


def documents(path):
    """Every YAML document of one manifest file."""
    return [doc for doc in yaml.safe_load_all(Path(path).read_text()) if doc]


def manifests():
    """(path, document) for every document of every YAML file under deploy/k8s."""
    return [(path, doc) for path in sorted(K8S.rglob("*.yaml")) for doc in documents(path)]


def find(kind, name):
    found = [doc for _, doc in manifests()
             if doc.get("kind") == kind and doc["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found under {K8S}"
    return found[0]


def pod_spec(workload):
    """The pod template's spec of a DaemonSet, Deployment, Job or CronJob."""
    spec = workload["spec"]
    if workload["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"]


_REFERENCE = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")


def expand(text, env):
    """Kubernetes' expansion of command and args: $(VAR) is VAR's value if VAR is defined,
    else left as written; $$ is a literal $."""
    def one(match):
        if match.group(0) == "$$":
            return "$"
        return env.get(match.group(1), match.group(0))
    return _REFERENCE.sub(one, text)


class Pod:
    """One container of a workload, set up on this machine under `root`."""

    def __init__(self, workload, root: Path, config_maps, secrets=None, field_refs=None,
                 container=None):
        self.workload = workload
        self.spec = pod_spec(workload)
        containers = self.spec["containers"]
        self.container = (containers[0] if container is None
                          else next(c for c in containers if c["name"] == container))
        self.root = root
        self.config_maps = config_maps
        self.secrets = secrets or {}
        self.field_refs = field_refs or {}
        self.mounts = self._mount_volumes()
        self.env = self._environment()

    # -- volumes -------------------------------------------------------------------------------
    def host_path(self, path):
        """Where a node's path is on this machine: under the fake host root."""
        return self.root / "host" / str(path).lstrip("/")

    def _mount_volumes(self):
        volumes = {v["name"]: v for v in self.spec.get("volumes", [])}
        mounts = {}
        name = self.workload["metadata"]["name"]
        for mount in self.container.get("volumeMounts", []):
            volume = volumes[mount["name"]]
            if "hostPath" in volume:
                folder = self.host_path(volume["hostPath"]["path"])
                kind = volume["hostPath"].get("type", "")
                if kind == "DirectoryOrCreate":
                    folder.mkdir(parents=True, exist_ok=True)
                assert folder.is_dir(), f"hostPath {volume['hostPath']['path']} does not exist"
            elif "emptyDir" in volume:
                folder = self.root / "pods" / name / "empty-dirs" / mount["name"]
                folder.mkdir(parents=True, exist_ok=True)
            elif "configMap" in volume:
                data = self.config_maps[volume["configMap"]["name"]]
                folder = self.root / "pods" / name / "config-maps" / mount["name"]
                folder.mkdir(parents=True, exist_ok=True)
                for key, value in data.items():
                    (folder / key).write_text(value)
            else:
                raise AssertionError(f"volume {mount['name']}: a kind this test does not map")
            mounts[mount["mountPath"]] = folder
        return mounts

    def path(self, container_path):
        """The folder of this machine that a path inside the container is at, or None if no
        volume holds it."""
        best = None
        for mount_path in self.mounts:
            if container_path == mount_path or container_path.startswith(mount_path.rstrip("/") + "/"):
                if best is None or len(mount_path) > len(best):
                    best = mount_path
        if best is None:
            return None
        return self.mounts[best] / container_path[len(best):].lstrip("/")

    def map_path(self, text):
        mapped = self.path(text) if text.startswith("/") else None
        return str(mapped) if mapped is not None else text

    # -- environment ---------------------------------------------------------------------------
    def _environment(self):
        env = {}
        for source in self.container.get("envFrom", []):
            if "configMapRef" in source:
                env.update(self.config_maps[source["configMapRef"]["name"]])
            elif "secretRef" in source:
                env.update(self.secrets[source["secretRef"]["name"]])
        for var in self.container.get("env", []):
            if "value" in var:
                env[var["name"]] = expand(var["value"], env)
                continue
            ref = var["valueFrom"]
            if "secretKeyRef" in ref or "configMapKeyRef" in ref:
                key_ref = ref.get("secretKeyRef") or ref["configMapKeyRef"]
                source = self.secrets if "secretKeyRef" in ref else self.config_maps
                value = source.get(key_ref["name"], {}).get(key_ref["key"])
                if value is None:
                    assert key_ref.get("optional"), f"{var['name']}: {key_ref} is missing"
                    continue
                env[var["name"]] = value
            elif "fieldRef" in ref:
                env[var["name"]] = self.field_refs[ref["fieldRef"]["fieldPath"]]
        return env

    def argv(self):
        """command + args, expanded, with paths in volumes mapped to this machine."""
        words = [*self.container.get("command", []), *self.container.get("args", [])]
        return [self.map_path(expand(word, self.env)) for word in words]

    def exec_probe(self, probe):
        """A probe's exec command, expanded and mapped like argv()."""
        return [self.map_path(expand(word, self.env)) for word in probe["exec"]["command"]]

    def process_env(self):
        """The container's variables with paths mapped (HF_HUB_CACHE=/mnt/hf_cache...)."""
        return {name: self.map_path(value) for name, value in self.env.items()}
