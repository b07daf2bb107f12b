"""The verifier runs as a copy of its single file in a virtual environment that holds only
numpy (SPEC section 7: no Flask, no database, no awards package, no cryptography)."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import numpy
import pytest

from awards.audit import verify

from .test_verify_mutations import rezip


ALLOWED = {"numpy", "pip", "setuptools", "wheel"}


def cache_root() -> Path:
    """Where test environments that take long to build are kept between sessions:
    ``AWARDS_TEST_CACHE``, else ``$XDG_CACHE_HOME/awards-tests`` (``~/.cache``)."""
    configured = os.environ.get("AWARDS_TEST_CACHE")
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "awards-tests"


def installed_distributions(env_dir: Path) -> set[str]:
    """Names of the distributions installed in a virtual environment, from their metadata."""
    return {path.name.split("-")[0].lower()
            for path in env_dir.glob("lib/python*/site-packages/*.dist-info")}


def build_numpy_only(env_dir: Path, requirement: str) -> bool:
    """A fresh venv holding only ``requirement``; False when no index or wheel is reachable."""
    shutil.rmtree(env_dir, ignore_errors=True)
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python = env_dir / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    cache = Path(os.environ.get("PIP_FIND_LINKS", ""))
    attempts = ([[*pip, "--no-index", "--find-links", str(cache), requirement]]
                if cache.is_dir() and str(cache) != "." else [])
    attempts.append([*pip, requirement])
    return any(subprocess.run(command, capture_output=True, timeout=300,
                              check=False).returncode == 0 for command in attempts)


def numpy_only_venv(requirement: str, tag: str) -> Path:
    """A venv with only numpy (``requirement``), built once per tag and kept in
    :func:`cache_root`, shared by test sessions and xdist workers (a lock keeps two from
    building it at once; a marker file, written last, tells a complete one from an
    interrupted build). Returns its python; skips when no index is reachable."""
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    env_dir, marker = root / f"numpy-only-{tag}", root / f"numpy-only-{tag}.complete"
    python = env_dir / "bin" / "python"
    with (root / f"numpy-only-{tag}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (marker.exists() and python.exists()):
            marker.unlink(missing_ok=True)
            if not build_numpy_only(env_dir, requirement):
                pytest.skip(f"cannot install {requirement} into a fresh venv "
                            "(no index reachable)")
            marker.touch()
    assert installed_distributions(env_dir) <= ALLOWED, installed_distributions(env_dir)
    return python


def numpy_version(python: Path) -> str:
    version = subprocess.run([str(python), "-I", "-c", "import numpy; print(numpy.__version__)"],
                             capture_output=True, text=True, timeout=60, check=False)
    return version.stdout.strip() or version.stderr


@pytest.fixture(scope="session")
def numpy_only_python() -> Path:
    """A venv with only numpy, the project's version (each session checks that it imports
    that version and holds nothing else)."""
    tag = f"py{sys.version_info.major}.{sys.version_info.minor}-numpy{numpy.__version__}"
    python = numpy_only_venv(f"numpy=={numpy.__version__}", tag)
    assert numpy_version(python) == numpy.__version__
    return python


@pytest.fixture(scope="session")
def other_numpy_python() -> Path:
    """A venv with only numpy of the previous minor version (2.3.x beside 2.4.x): the
    bootstrap stream of SPEC 6.9 is PCG64's raw integers, which NumPy keeps identical
    across versions, so an auditor's NumPy need not be the organisers'."""
    major, minor = (int(part) for part in numpy.__version__.split(".")[:2])
    if minor == 0:
        pytest.skip(f"numpy {numpy.__version__} has no earlier minor version of its major")
    requirement = f"numpy>={major}.{minor - 1},<{major}.{minor}"
    tag = f"py{sys.version_info.major}.{sys.version_info.minor}-numpy{major}.{minor - 1}"
    python = numpy_only_venv(requirement, tag)
    assert numpy_version(python).startswith(f"{major}.{minor - 1}.")
    return python


@pytest.fixture
def copied_verifier(tmp_path) -> Path:
    """verify.py copied alone into an empty folder, away from the repository."""
    target = tmp_path / "auditor" / "verify.py"
    target.parent.mkdir()
    shutil.copy(verify.__file__, target)
    return target


def run(python: Path, script: Path, *args: str) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONNOUSERSITE": "1"}
    return subprocess.run([str(python), "-I", str(script), *args], capture_output=True,
                          text=True, cwd=script.parent, env=env, timeout=120, check=False)


def test_copy_verifies_the_worked_example(numpy_only_python, copied_verifier, worked_bundle):
    bundle = copied_verifier.parent / "bundle.zip"
    bundle.write_bytes(worked_bundle.zip())
    result = run(numpy_only_python, copied_verifier, "bundle.zip",
                 "--public-key", worked_bundle.public_key)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "VERIFIED\n"


def test_copy_rejects_a_tampered_bundle(numpy_only_python, copied_verifier, worked_bundle):
    bundle = copied_verifier.parent / "bundle.zip"
    bundle.write_bytes(worked_bundle.reseal("ballots.csv", lambda data: data.replace(
        b",A,web,valid", b",C,web,valid", 1)))
    result = run(numpy_only_python, copied_verifier, "bundle.zip")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert "VERIFIED" not in lines
    assert any(line.startswith("results.json: public.departments[department=A].count "
                               "published 395, recomputed 394") for line in lines), lines


def test_copy_rejects_an_added_file(numpy_only_python, copied_verifier, worked_bundle):
    bundle = copied_verifier.parent / "bundle.zip"
    bundle.write_bytes(rezip(worked_bundle.zip(), extra={"readme.txt": b"trust me"}))
    result = run(numpy_only_python, copied_verifier, "bundle.zip",
                 "--public-key", worked_bundle.public_key)
    assert (result.returncode, result.stdout) == (1, "bundle: unexpected file readme.txt\n")


def test_copy_verifies_a_bundle_exported_by_the_app(numpy_only_python, copied_verifier,
                                                    published, runner):
    from .test_bundle import cli

    out = copied_verifier.parent / "exported.zip"
    result = cli(runner, "export", published.campaign.slug, "--out", str(out))
    assert result.exit_code == 0, result.stderr
    checked = run(numpy_only_python, copied_verifier, str(out), "--public-key",
                  published.campaign.signing_public_key)
    assert (checked.returncode, checked.stdout) == (0, "VERIFIED\n"), checked.stdout


def test_another_numpy_minor_version_verifies_an_exported_bundle(
        other_numpy_python, copied_verifier, published, runner):
    """A bundle made here (this NumPy) is reproduced, bootstrap included, by an auditor
    whose NumPy is one minor version older."""
    from .test_bundle import cli

    assert numpy_version(other_numpy_python) != numpy.__version__
    out = copied_verifier.parent / "exported.zip"
    result = cli(runner, "export", published.campaign.slug, "--out", str(out))
    assert result.exit_code == 0, result.stderr
    checked = run(other_numpy_python, copied_verifier, str(out), "--public-key",
                  published.campaign.signing_public_key)
    assert (checked.returncode, checked.stdout) == (0, "VERIFIED\n"), checked.stdout


def test_module_form_runs_in_the_project(worked_bundle, tmp_path):
    """``python -m awards.audit.verify BUNDLE.zip`` as the SPEC writes it."""
    bundle = tmp_path / "bundle.zip"
    bundle.write_bytes(worked_bundle.zip())
    root = Path(verify.__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-m", "awards.audit.verify", str(bundle),
                             "--public-key", worked_bundle.public_key],
                            capture_output=True, text=True, cwd=root, timeout=120,
                            check=False)
    assert (result.returncode, result.stdout) == (0, "VERIFIED\n"), result.stderr
    unpinned = subprocess.run([sys.executable, "-m", "awards.audit.verify", str(bundle)],
                              capture_output=True, text=True, cwd=root, timeout=120,
                              check=False)
    assert unpinned.returncode == 3 and unpinned.stdout.startswith("KEY NOT PINNED")


def test_module_form_runs_with_numpy_alone(numpy_only_python, worked_bundle, tmp_path):
    """``python -m awards.audit.verify`` from a checkout, in an environment holding only
    numpy: importing the ``awards`` package must not need Flask or SQLAlchemy."""
    bundle = tmp_path / "bundle.zip"
    bundle.write_bytes(worked_bundle.zip())
    root = Path(verify.__file__).resolve().parents[2]
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONNOUSERSITE": "1",
           "PYTHONPATH": str(root)}
    command = [str(numpy_only_python), "-m", "awards.audit.verify", str(bundle)]
    pinned = subprocess.run([*command, "--public-key", worked_bundle.public_key],
                            capture_output=True, text=True, cwd=tmp_path, env=env,
                            timeout=120, check=False)
    assert (pinned.returncode, pinned.stdout) == (0, "VERIFIED\n"), pinned.stderr
    unpinned = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, env=env,
                              timeout=120, check=False)
    assert unpinned.returncode == 3 and unpinned.stdout.startswith("KEY NOT PINNED")
