"""One stage of deploy/Dockerfile run without a container engine: its COPY, ENV, WORKDIR, USER
and RUN instructions applied, in order, to a Debian root through chroot (debian_root.py), so
the package test installs exactly what the image's runtime stage installs, as it says."""

import json
import re
import shlex
import shutil
from pathlib import Path

from debian_root import chroot

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"


def stage(name):
    """The instructions of stage `name`, continuation lines joined, comments left out."""
    lines, current = [], None
    for line in DOCKERFILE.read_text().replace("\\\n", " ").splitlines():
        match = re.match(r"FROM\s+(\S+)\s+AS\s+(\w+)", line)
        if match:
            current = match.group(2)
            if current == name:
                lines.append(("FROM", match.group(1)))
            continue
        if current != name or not line.strip() or line.lstrip().startswith("#"):
            continue
        instruction, _, rest = line.strip().partition(" ")
        lines.append((instruction.upper(), rest.strip()))
    assert lines, f"no stage {name} in {DOCKERFILE}"
    return lines


class Image:
    """What the stage leaves for running the image: its user, variables, folder, entrypoint."""

    def __init__(self):
        self.user = None
        self.env = {}
        self.workdir = None
        self.entrypoint = None


def apply(name, root: Path, stages_output):
    """Runs stage `name` on `root`. `stages_output` maps another stage's folder (COPY --from=
    STAGE SRC) to a folder of this machine: {("build", "/src/dist/"): Path(...)}."""
    state = Image()
    for instruction, rest in stage(name):
        if instruction == "FROM":
            continue
        if instruction == "COPY":
            words = shlex.split(rest)
            source_stage = None
            if words[0].startswith("--from="):
                source_stage = words.pop(0).split("=", 1)[1]
            *sources, target = words
            for source in sources:
                origin = (stages_output[(source_stage, source)] if source_stage
                          else ROOT / source)
                destination = root / target.lstrip("/")
                if origin.is_dir():
                    shutil.copytree(origin, destination, dirs_exist_ok=True)
                else:
                    if target.endswith("/"):
                        destination = destination / origin.name
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy(origin, destination)
        elif instruction == "ENV":
            key, _, value = rest.partition("=")
            state.env[key.strip()] = value.strip()
        elif instruction == "WORKDIR":
            state.workdir = rest
            (root / rest.lstrip("/")).mkdir(parents=True, exist_ok=True)
        elif instruction == "USER":
            state.user = rest
        elif instruction == "RUN":
            chroot(root, rest, user=state.user, env=state.env, workdir=state.workdir, timeout=600)
        elif instruction == "ENTRYPOINT":
            state.entrypoint = json.loads(rest)
        elif instruction == "CMD":
            continue
        else:
            raise AssertionError(f"deploy/Dockerfile: {instruction} is not an instruction this "
                                 "test knows how to run")
    return state
