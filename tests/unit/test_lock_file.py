"""requirements.lock and pyproject.toml agree: every dependency (and every extra's) is pinned, at a
version its range admits, so scripts/install.sh installs what the project asks for (issue 15)."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]


def _pins() -> dict[str, str]:
    text = (ROOT / "requirements.lock").read_text()
    return {canonicalize_name(m[1]): m[2] for m in re.finditer(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", text, re.M)}


def _requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = [*project["dependencies"], *(d for extra in project["optional-dependencies"].values() for d in extra)]
    return [Requirement(line) for line in lines]


def test_every_requirement_is_pinned_within_its_range() -> None:
    pins = _pins()
    problems = []
    for req in _requirements():
        pinned = pins.get(canonicalize_name(req.name))
        if pinned is None:
            problems.append(f"{req} is not in requirements.lock")
        elif not req.specifier.contains(pinned, prereleases=True):
            problems.append(f"{req} but requirements.lock pins {pinned}")
    assert not problems, "run scripts/lock.sh: " + "; ".join(problems)


def test_every_extra_of_a_requirement_is_pinned() -> None:
    """``psycopg[binary]`` needs psycopg-binary in the lock, ``reportlab[shaping]`` uharfbuzz, and so on."""
    pins = _pins()
    missing = []
    for req in _requirements():
        for extra in req.extras:
            for line in metadata.requires(req.name) or []:
                dep = Requirement(line)
                wanted = dep.marker is not None and dep.marker.evaluate({"extra": extra})
                if wanted and canonicalize_name(dep.name) not in pins:
                    missing.append(f"{dep.name} (for {req.name}[{extra}])")
    assert not missing, "run scripts/lock.sh: missing " + ", ".join(missing)


def test_the_installed_environment_is_the_locked_one() -> None:
    pins = _pins()
    for req in _requirements():
        assert metadata.version(req.name) == pins[canonicalize_name(req.name)], req.name
