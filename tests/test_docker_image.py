"""The image's start-up commands, run against the files the Dockerfile puts in the image.

Docker cannot run here. What broke the image once can be checked without it: the
Dockerfile installs the package into a virtualenv (``pip install .``, not editable) and
copies the project's folders to ``/app``; the commands then found ``migrations/`` and
``checklists/`` next to the installed package, where none are. This test lays out the
same files in a temporary folder, the package installed by pip as the build stage does,
the final stage's copies beside it and its environment's import path, and runs the
image's commands from its working folder.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from service.config import PROJECT_ROOT

DOCKERFILE = PROJECT_ROOT / "docker" / "Dockerfile"
IMAGE_ROOT = "/app"


def final_stage() -> list[str]:
    text = DOCKERFILE.read_text(encoding="utf-8")
    return text.split("\nFROM ")[-1].splitlines()


def copies() -> list[str]:
    """What the final stage copies from the build context (not from the build stage)."""
    found = []
    for line in final_stage():
        if line.startswith("COPY ") and "--from=" not in line:
            *sources, target = [w for w in line.split()[1:] if not w.startswith("--")]
            assert target.startswith("./"), line  # relative to WORKDIR /app
            found.extend(sources)
    return found


def image_env() -> dict[str, str]:
    """The final stage's ENV block as name -> value."""
    text = "\n".join(final_stage()).replace("\\\n", " ")
    block = next(line for line in text.splitlines() if line.startswith("ENV "))
    return dict(re.findall(r"(\w+)=(\S+)", block))


def startup_commands() -> list[list[str]]:
    """The ``mshop`` commands the image runs before it serves."""
    cmd = next(line for line in final_stage() if line.startswith("CMD "))
    steps = [s.strip() for s in cmd.split("&&")]
    return [s.split()[1:] for s in steps if s.startswith("mshop ") and "serve" not in s]


def test_the_final_stage_copies_what_the_commands_read_as_root_code() -> None:
    assert [c[0] for c in startup_commands()] == ["db", "standards", "checklists"]
    assert set(copies()) == {"alembic.ini", "migrations", "checklists", "service"}
    assert image_env().get("PYTHONPATH") == IMAGE_ROOT
    stage = final_stage()
    # The code the server runs is root's, compiled once, before the server's user takes over.
    assert not [line for line in stage if line.startswith("COPY --chown")]
    compiled = stage.index("RUN python -m compileall -q /app/service /app/migrations")
    assert compiled < stage.index("USER mshop")


@pytest.mark.slow
def test_the_images_commands_find_migrations_and_the_catalogue(tmp_path: Path) -> None:
    # The build stage: the package installed by pip, as a wheel, into a folder of its own.
    source, site, app = tmp_path / "src", tmp_path / "site", tmp_path / "app"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(PROJECT_ROOT / name, source / name)
    shutil.copytree(PROJECT_ROOT / "service", source / "service")
    # Built with the test extras' setuptools and wheel: no package index needed.
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation"]
        + ["--target", str(site), str(source)],
        check=True,
        timeout=300,
    )
    # The final stage: the copies in /app and its import path, /app mapped to this folder.
    app.mkdir()
    for name in copies():
        (shutil.copytree if (PROJECT_ROOT / name).is_dir() else shutil.copy)(
            PROJECT_ROOT / name, app / name
        )
    image_path = image_env().get("PYTHONPATH", "").replace(IMAGE_ROOT, str(app))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MSHOP_")} | {
        # The image's own path first, then the virtualenv's packages (here: the package pip
        # installed above, then this interpreter's dependencies).
        "PYTHONPATH": os.pathsep.join(p for p in (image_path, str(site)) if p),
        "MSHOP_DATABASE__URL": f"sqlite:///{tmp_path / 'image.db'}",
        "MSHOP_AUTH__SECRET_KEY": "an image test secret of enough length here",
    }
    # The script pip made, as the image's CMD runs it: its own folder is first on the path
    # (``python -m`` would put the working folder there, and hide what the image does).
    mshop = site / "bin" / "mshop"
    for command in startup_commands():
        done = subprocess.run(
            [sys.executable, str(mshop), *command],
            cwd=app,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"mshop {' '.join(command)}: {done.stderr[-2000:]}"
    loaded = subprocess.run(
        [sys.executable, "-P", "-c", "import service; print(service.__file__)"],
        cwd=app,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(loaded.stdout.strip()).is_relative_to(app)
