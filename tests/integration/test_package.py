"""The Debian package (issue 19): scripts/package builds it from the build under test; its
Depends name the package of every library the binary links; the main package holds no debug
info, the -dbgsym one holds it for the same build-id; and the image's runtime stage
(deploy/Dockerfile, run by dockerfile_stage.py) installs it with apt into a clean Debian 12 root,
where `hubcache --version`, a `serve` as the image's non-root user and a `mount` of a bucket on
radosgw work."""

import json
import os
import re
import signal
import subprocess
import urllib.request
from pathlib import Path

import pytest

import debian_root
import dockerfile_stage
from test_hub_clients import BERT, repo_files, sha

ROOT = Path(__file__).resolve().parents[2]


def build_folder():
    return Path(os.environ.get("HUBCACHE", ROOT / "build" / "hubcache")).resolve().parent


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    """dist/hubcache_*.deb and its -dbgsym, made by scripts/package from the build under test
    (or, with HUBCACHE_PACKAGE_DIR, the ones already in that folder: a release's artifacts),
    and the binary the package holds, extracted."""
    folder = os.environ.get("HUBCACHE_PACKAGE_DIR")
    if folder:
        folder = Path(folder)
    else:
        build = build_folder()
        cache = build / "CMakeCache.txt"
        if not cache.exists():
            pytest.skip(f"{build} is not a CMake build folder: nothing to package")
        if re.search(r"^HUBCACHE_SANITIZE:BOOL=ON$", cache.read_text(), re.M):
            pytest.skip("a sanitizer build is not packaged (the plain pass tests the package)")
        done = subprocess.run([str(ROOT / "scripts" / "package"), str(build)],
                              capture_output=True, text=True, timeout=1800)
        assert done.returncode == 0, done.stdout + done.stderr
        folder = ROOT / "dist"
    [deb] = sorted(folder.glob("hubcache_*.deb"))
    [ddeb] = sorted(folder.glob("hubcache-dbgsym_*.ddeb"))
    extracted = tmp_path_factory.mktemp("package")
    subprocess.run(["dpkg-deb", "-x", str(deb), str(extracted / "main")], check=True)
    subprocess.run(["dpkg-deb", "-x", str(ddeb), str(extracted / "dbgsym")], check=True)
    return {"deb": deb, "ddeb": ddeb, "main": extracted / "main", "dbgsym": extracted / "dbgsym",
            "binary": extracted / "main" / "usr" / "bin" / "hubcache"}


def control(deb, field):
    return subprocess.run(["dpkg-deb", "-f", str(deb), field], capture_output=True, text=True,
                          check=True).stdout.strip()


def depends_names(deb):
    return {alternative.split()[0] for item in control(deb, "Depends").split(",")
            for alternative in item.split("|") if alternative.strip()}


def linked_packages(binary):
    """The Debian package of each library the binary names (NEEDED), found through ldd."""
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]",
                        subprocess.run(["readelf", "-d", str(binary)], capture_output=True,
                                       text=True, check=True).stdout)
    resolved = dict(re.findall(r"^\s*(\S+) => (\S+)", subprocess.run(
        ["ldd", str(binary)], capture_output=True, text=True, check=True).stdout, re.M))
    packages = {}
    for soname in needed:
        path = os.path.realpath(resolved[soname])
        owner = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True)
        if owner.returncode != 0:  # /lib is /usr/lib on a merged-/usr system
            owner = subprocess.run(["dpkg", "-S", resolved[soname]], capture_output=True, text=True)
        assert owner.returncode == 0, f"no package ships {soname} ({path})"
        packages[soname] = owner.stdout.split(":")[0]
    return packages


def test_issue19_the_package_depends_on_every_library_it_links(package):
    deb = package["deb"]
    assert control(deb, "Package") == "hubcache"
    assert control(deb, "Architecture") == subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True).stdout.strip()
    version = subprocess.run([str(package["binary"]), "--version"], capture_output=True,
                             text=True).stdout.split()[-1]
    assert control(deb, "Version") == version
    depends = depends_names(deb)
    linked = linked_packages(package["binary"])
    missing = {soname: name for soname, name in linked.items() if name not in depends}
    assert not missing, f"Depends: {control(deb, 'Depends')} lacks {missing}"
    # The ones a fleet node needs, by name (a linked library that moved would show here).
    assert {"libcurl4", "libssl3", "libsqlite3-0", "libfuse3-3", "libarchive13"} <= depends


def test_issue19_debug_symbols_are_in_their_own_package(package):
    listed = subprocess.run(["dpkg-deb", "-c", str(package["deb"])], capture_output=True,
                            text=True, check=True).stdout
    assert re.search(r"\s\./usr/bin/hubcache$", listed, re.M), listed
    assert "./usr/share/doc/hubcache/README.md" in listed, listed
    binary = package["binary"]
    sections = subprocess.run(["readelf", "-S", "-W", str(binary)], capture_output=True,
                              text=True, check=True).stdout
    assert ".debug_info" not in sections
    build_id = re.search(r"Build ID: ([0-9a-f]+)", subprocess.run(
        ["readelf", "-n", str(binary)], capture_output=True, text=True, check=True).stdout).group(1)
    symbols = (package["dbgsym"] / "usr" / "lib" / "debug" / ".build-id" / build_id[:2]
               / f"{build_id[2:]}.debug")
    assert symbols.exists(), sorted(str(p) for p in package["dbgsym"].rglob("*"))
    assert ".debug_info" in subprocess.run(["readelf", "-S", "-W", str(symbols)],
                                           capture_output=True, text=True, check=True).stdout
    assert binary.stat().st_size < symbols.stat().st_size
    assert control(package["ddeb"], "Package") == "hubcache-dbgsym"


def runtime_packages():
    text = (ROOT / "deploy" / "runtime-packages.txt").read_text()
    return sorted(word for line in text.splitlines() for word in line.split("#")[0].split())


@pytest.fixture(scope="module")
def image_root(package, tmp_path_factory):
    """A copy of the clean Debian 12 root with the image's runtime stage applied to it (one for
    this file's tests: applying it takes a while)."""
    reason = debian_root.why_not()
    if reason:
        pytest.skip(f"no clean Debian root: {reason}")
    prepared = debian_root.prepared_root(runtime_packages(),
                                         sorted(depends_names(package["deb"])))
    root = debian_root.copy_root(prepared, tmp_path_factory.mktemp("image") / "root")
    try:
        image = dockerfile_stage.apply("runtime", root,
                                       {("build", "/src/dist/"): package["deb"].parent})
        yield root, image
    finally:
        for mounted in reversed(debian_root.mounts_under(root)):
            subprocess.run(["umount", "-l", mounted], check=False)
        debian_root.remove_root(root)


def wait_for_line(proc, prefix, what):
    line = proc.stdout.readline()
    assert line.startswith(prefix), f"{what}: {line!r}"
    return line


def test_issue19_the_image_recipe_installs_a_working_hubcache(image_root, package):
    root, image = image_root
    assert image.user == "10001" and image.entrypoint == ["hubcache"]
    # Installed by apt from the package: the binary the package holds, Depends from the mirror.
    status = debian_root.chroot(root, "dpkg-query -W -f='${Status} ${Version}' hubcache").stdout
    assert status == f"install ok installed {control(package['deb'], 'Version')}"
    version = debian_root.chroot(root, "hubcache --version", user=image.user)
    assert version.stdout.strip() == subprocess.run(
        [str(package["binary"]), "--version"], capture_output=True, text=True).stdout.strip()
    # serve as the image's non-root user: start, health, SIGTERM.
    argv = ["chroot", f"--userspec={image.user}:{image.user}", str(root), "hubcache", "serve",
            "--listen", "127.0.0.1:0", "--mode", "replay"]
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C.UTF-8", **image.env}
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd="/")
    try:
        line = wait_for_line(proc, "listening on http://127.0.0.1:", "serve in the image")
        port = int(line.rsplit(":", 1)[1])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_hubcache/health", timeout=10) as r:
            assert r.status == 200
            json.loads(r.read())
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, proc.stderr.read()
    store = root / image.env["HUBCACHE_STORE"].lstrip("/")
    assert store.is_dir() and store.stat().st_uid == 10001


@pytest.mark.skipif(not Path("/dev/fuse").exists(), reason="no /dev/fuse")
def test_issue19_the_image_mounts_a_bucket(image_root, hubcache, fake_hub, radosgw, tmp_path):
    root, _ = image_root
    bucket = radosgw.new_bucket()
    manifest = tmp_path / "models.txt"
    manifest.write_text(f"{BERT}\n")
    done = hubcache.run("preload", *fake_hub.upstream_args(), "--publish", f"s3://{bucket}/ci",
                        manifest, env=radosgw.env(), timeout=300)
    assert done.returncode == 0, done.stderr
    # The mount runs as root (FUSE); the root needs /dev/fuse and /proc, as a privileged pod has.
    subprocess.run(["mknod", "-m", "666", str(root / "dev" / "fuse"), "c", "10", "229"], check=True)
    subprocess.run(["mount", "-t", "proc", "proc", str(root / "proc")], check=True)
    (root / "mnt" / "hf_cache").mkdir(parents=True)
    argv = ["chroot", str(root), "hubcache", "mount", "/mnt/hf_cache", "--store",
            "/var/lib/hubcache/mount-store", "--remote", f"s3://{bucket}/ci", "--allow-other"]
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C.UTF-8", "AWS_EC2_METADATA_DISABLED": "true",
           **radosgw.env(ro=True)}
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd="/")
    try:
        wait_for_line(proc, "mounted ", "mount in the image")
        commit = fake_hub.repos[("model", BERT)].refs["main"]
        config = (root / "mnt" / "hf_cache" / f"models--{BERT.replace('/', '--')}" / "snapshots"
                  / commit / "config.json").read_bytes()
        assert sha(config) == sha(repo_files(fake_hub, BERT)["config.json"])
    finally:
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=30)
        stderr = proc.stderr.read()
        subprocess.run(["umount", str(root / "proc")], check=False)
    assert rc == 0, stderr
    assert str(root / "mnt" / "hf_cache") not in debian_root.mounts_under(root)
