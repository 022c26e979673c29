"""A clean Debian 12 root for the package tests: `debootstrap --variant=minbase bookworm` from the
mirror apt uses here, kept under a cache folder outside the repository (HUBCACHE_TEST_CACHE,
default /var/cache/hubcache-tests) keyed by what goes into it, so only the first run pays the
few minutes; each test gets a copy. Commands run in it with chroot, on the host's network."""

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

SUITE = "bookworm"
SOURCES = Path("/etc/apt/sources.list.d/debian.sources")


def mirror():
    """The Debian mirror apt uses here (never a host written in a test)."""
    text = SOURCES.read_text()
    match = re.search(r"^URIs:\s*(\S+)", text, re.M)
    assert match, f"no URIs: line in {SOURCES}"
    return match.group(1)


def cache_folder():
    return Path(os.environ.get("HUBCACHE_TEST_CACHE", "/var/cache/hubcache-tests"))


def why_not():
    """Why no Debian root can be made here, or None."""
    if os.geteuid() != 0:
        return "debootstrap and chroot need root"
    if not shutil.which("debootstrap"):
        return "debootstrap is not installed (scripts/setup installs it)"
    if not SOURCES.exists():
        return f"{SOURCES} is missing: no Debian mirror to bootstrap from"
    return None


def _run(argv, timeout, **options):
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **options)
    assert done.returncode == 0, f"{argv}: {done.returncode}\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
    return done


def chroot(root, command, user=None, env=None, timeout=300, check=True, workdir=None):
    """`command` (a shell line) run as `user` inside `root`."""
    argv = ["chroot"]
    if user is not None:
        argv.append(f"--userspec={user}:{user}")
    line = f"cd {workdir} && {command}" if workdir else command
    full_env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "HOME": "/root", "LC_ALL": "C.UTF-8", "DEBIAN_FRONTEND": "noninteractive",
                **(env or {})}
    done = subprocess.run([*argv, str(root), "/bin/sh", "-c", line], capture_output=True,
                          text=True, timeout=timeout, env=full_env)
    if check:
        assert done.returncode == 0, f"{line}: {done.returncode}\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
    return done


def _bootstrap(target, packages, downloads):
    _run(["debootstrap", "--variant=minbase", SUITE, str(target), mirror()], timeout=900)
    # The image's apt sources (bookworm, -updates, -security), not debootstrap's one line.
    (target / "etc" / "apt" / "sources.list").unlink(missing_ok=True)
    shutil.copy(SOURCES, target / "etc" / "apt" / "sources.list.d" / SOURCES.name)
    shutil.copy("/etc/resolv.conf", target / "etc" / "resolv.conf")
    chroot(target, "apt-get update -qq", timeout=300)
    if packages:
        chroot(target, "apt-get install -y -qq --no-install-recommends " + " ".join(packages),
               timeout=600)
    if downloads:
        # Downloaded, not installed: a test's `apt-get install ./hubcache_*.deb` still resolves
        # these from the mirror's index, without fetching them again.
        chroot(target, "apt-get install -y -qq --no-install-recommends --download-only "
               + " ".join(downloads), timeout=600)


def prepared_root(packages, downloads=()):
    """The cached root with `packages` installed and `downloads` in apt's archive (made on the
    first call for this list): its path. Never modify it; copy_root() gives a copy to use."""
    key = hashlib.sha256(repr((SUITE, mirror(), SOURCES.read_text(), sorted(packages),
                               sorted(downloads))).encode()).hexdigest()[:16]
    folder = cache_folder() / f"debian-{SUITE}-{key}"
    if (folder / "etc" / "debian_version").exists():
        return folder
    cache_folder().mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".debian-{SUITE}-", dir=cache_folder()))
    try:
        _bootstrap(building / "root", packages, downloads)
        try:
            os.rename(building / "root", folder)
        except OSError:
            if not (folder / "etc" / "debian_version").exists():  # another run made it first
                raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return folder


def copy_root(prepared, target):
    _run(["cp", "-a", "--reflink=auto", str(prepared), str(target)], timeout=300)
    return target


def mounts_under(root):
    root = str(Path(root).resolve())
    return [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()
            if line.split()[1] == root or line.split()[1].startswith(root + "/")]


def remove_root(root):
    """Removes a copy; refuses while anything is mounted under it (a bind mount's files must
    never be deleted through it)."""
    left = mounts_under(root)
    assert not left, f"still mounted under {root}: {left}"
    shutil.rmtree(root, ignore_errors=True)
