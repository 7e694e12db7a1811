"""Build the frozen FrontCounter (PyInstaller onedir) and prove it runs.

    python installer/build.py            # freeze, self-check, and on Windows build the installer
    python installer/build.py --smoke    # freeze and self-check only (what CI runs)
    python installer/build.py --smoke --skip-freeze   # self-check an existing dist/ again

The one version lives in pyproject.toml; the spec reads it for the Windows version resource and the
bundle's metadata, and this script hands it to Inno Setup as /DAppVersion.

The self-check runs the frozen executable, from a scratch working directory and with a scratch data
directory, as ``frontcounter --data-dir DIR --self-check`` (it migrates a database and builds a PDF
with the bundled fonts). A bundle that is missing a hidden import or a data file fails here, at
build time, rather than on a counter.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "installer" / "frontcounter.spec"
ISS = REPO / "installer" / "frontcounter.iss"
DIST = REPO / "dist"
WORK = REPO / "build" / "pyinstaller"
BUNDLE = DIST / "frontcounter"
HELLO_SPEC = REPO / "installer" / "hello_world.spec"
HELLO_BUNDLE = DIST / "hello-world"
SELF_CHECK_TIMEOUT_S = 180


def project_version() -> str:
    """The version from pyproject.toml, the only place it is written."""
    with (REPO / "pyproject.toml").open("rb") as file:
        return str(tomllib.load(file)["project"]["version"])


def frozen_executable() -> Path:
    return BUNDLE / ("frontcounter.exe" if sys.platform == "win32" else "frontcounter")


def check_resources() -> None:
    """Refuse to freeze stale compiled resources (icons/themes edited but not regenerated)."""
    subprocess.run([sys.executable, str(REPO / "resources" / "build_resources.py"), "--check"], check=True)


def freeze(spec: Path = SPEC) -> None:
    subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean",
         "--distpath", str(DIST), "--workpath", str(WORK), str(spec)],  # PyInstaller adds the spec name
        check=True,
        cwd=REPO,
    )


def self_check() -> None:
    """Run the frozen app's --self-check with no display, nothing inherited, outside the repo."""
    executable = frozen_executable()
    if not executable.is_file():
        raise SystemExit(f"no frozen executable at {executable}; build first")
    env = {key: value for key, value in os.environ.items() if not key.startswith("FRONTCOUNTER_")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    with tempfile.TemporaryDirectory(prefix="frontcounter-smoke-") as scratch:
        data_dir = Path(scratch) / "data"
        command = [str(executable), "--data-dir", str(data_dir), "--self-check"]
        print("smoke:", " ".join(command), flush=True)
        result = subprocess.run(command, cwd=scratch, env=env, timeout=SELF_CHECK_TIMEOUT_S,
                                capture_output=True, text=True)
        sys.stdout.write(result.stdout)
        sys.stderr.write(result.stderr)
        if result.returncode != 0:
            raise SystemExit(f"frozen self-check failed with exit code {result.returncode}")


def build_installer(version: str) -> None:
    """Compile the Inno Setup script (Windows only); ISCC must be on PATH or in its usual place."""
    iscc = shutil.which("iscc") or shutil.which("ISCC")
    default = Path(os.environ.get("PROGRAMFILES(X86)", r"C:\Program Files (x86)")) / "Inno Setup 6" / "ISCC.exe"
    if iscc is None and default.is_file():
        iscc = str(default)
    if iscc is None:
        raise SystemExit("Inno Setup's ISCC.exe not found: install Inno Setup 6 or add it to PATH")
    subprocess.run([iscc, f"/DAppVersion={version}", f"/DSourceDir={BUNDLE}",
                    f"/DRepoDir={REPO}", f"/O{DIST}", str(ISS)], check=True)


def bundle_size_mb(bundle: Path = BUNDLE) -> float:
    """Bytes on disk, counting each file once (the Linux bundle holds symlinks to its libraries)."""
    total = 0
    for folder, _dirs, files in os.walk(bundle):
        for name in files:
            path = Path(folder) / name
            if not path.is_symlink():
                total += path.stat().st_size
    return total / 1_000_000


def largest_parts(count: int = 10) -> list[tuple[str, float]]:
    """The biggest parts of the bundle in MB: each top-level file, each folder under _internal
    (PySide6/Qt/lib and the like one level deeper, where the weight is), largest first."""
    sizes: dict[str, int] = {}
    for folder, _dirs, files in os.walk(BUNDLE):
        for name in files:
            path = Path(folder) / name
            if path.is_symlink():
                continue
            parts = path.relative_to(BUNDLE).parts
            depth = 4 if parts[:2] == ("_internal", "PySide6") else 2
            key = "/".join(parts[:depth]) if len(parts) > depth else "/".join(parts)
            sizes[key] = sizes.get(key, 0) + path.stat().st_size
    ranked = sorted(sizes.items(), key=lambda kv: -kv[1])[:count]
    return [(key, size / 1_000_000) for key, size in ranked]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="freeze and self-check only (no installer)")
    parser.add_argument("--skip-freeze", action="store_true", help="self-check the existing dist/ again")
    parser.add_argument("--hello-world", action="store_true",
                        help="also freeze a PySide6 QtWidgets hello-world the same way (the size floor)")
    args = parser.parse_args(argv)

    version = project_version()
    started = time.monotonic()
    if not args.skip_freeze:
        check_resources()
        freeze()
    frozen_at = time.monotonic()
    self_check()
    checked_at = time.monotonic()
    if sys.platform == "win32" and not args.smoke:
        build_installer(version)
    print(f"FrontCounter {version}: bundle {BUNDLE} is {bundle_size_mb():.0f} MB; "
          f"freeze {frozen_at - started:.0f} s, self-check {checked_at - frozen_at:.1f} s")
    print("largest parts:")
    for key, mb in largest_parts():
        print(f"  {mb:7.1f} MB  {key}")
    if args.hello_world:
        freeze(HELLO_SPEC)
        subprocess.run([str(HELLO_BUNDLE / ("hello-world.exe" if sys.platform == "win32" else "hello-world")),
                        "--self-check"], check=True, timeout=SELF_CHECK_TIMEOUT_S)
    if HELLO_BUNDLE.is_dir():
        floor = bundle_size_mb(HELLO_BUNDLE)
        print(f"against a PySide6 QtWidgets hello-world frozen the same way: {floor:.0f} MB "
              f"(ratio {bundle_size_mb() / floor:.2f}; {bundle_size_mb() - floor:.0f} MB of FrontCounter's own)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
