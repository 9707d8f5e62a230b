"""The package as others get it: a wheel that carries its files, and a layout with no back arrows."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
PACKAGE = PROJECT / "dsm_assess"

# The pipeline's floors, lowest first: a module imports from its own floor or lower ones only.
FLOORS = [("core",), ("formats",), ("framework",), ("store",), ("engagement",), ("capture",), ("scoring",),
          ("planning",), ("deliver",), ("api", "batch", "form"), ("demo",), ("cli",)]
RANK = {name: i for i, names in enumerate(FLOORS) for name in names}


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            yield node.lineno, "relative"
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("dsm_assess."):
            yield node.lineno, node.module.split(".")[1]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("dsm_assess."):
                    yield node.lineno, alias.name.split(".")[1]


def test_no_module_imports_from_a_higher_floor_not_even_inside_a_function():
    flat = [p.name for p in PACKAGE.glob("*.py") if p.stem not in ("__init__", "__main__", "api", "batch", "form")]
    assert flat == [], f"flat modules outside the floors: {flat}"
    back = []
    for path in PACKAGE.rglob("*.py"):
        me = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
        if me in ("__init__", "__main__", "resources"):
            continue
        for line, other in _imports(path):
            if other == "relative" or RANK.get(other, -1) > RANK[me] or other not in RANK:
                back.append(f"{path.relative_to(PROJECT)}:{line} {me} -> {other}")
    assert back == []


def test_the_floor_check_sees_a_lazy_import_from_a_higher_floor(tmp_path):
    sample = tmp_path / "m.py"
    sample.write_text("def f():\n    from dsm_assess.deliver.charts import area_bars\n")
    assert list(_imports(sample)) == [(2, "deliver")]


def test_pandas_is_loaded_through_core_frames_which_keeps_text_in_python_strings():
    # core/frames: the kit's small frames score about 40 % faster with them; a module importing
    # pandas on its own could be the first to load it, before the setting is made
    from dsm_assess.scoring.rules import pd

    assert pd.get_option("mode.string_storage") == "python"
    direct = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                       and getattr(node.test, "id", "") == "TYPE_CHECKING" for n in ast.walk(node)}
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(n.split(".")[0] == "pandas" for n in names) and id(node) not in typing_only:
                direct.append(f"{path.relative_to(PROJECT)}:{node.lineno}")
    assert direct == ["dsm_assess/core/frames.py:9"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(PROJECT), "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(out)], check=True, capture_output=True)
    return next(out.glob("dsm_assess-*.whl"))


@pytest.mark.parametrize("modules, never", [
    # editing engagement.yaml or the store's records needs no data frames
    (["dsm_assess.engagement.edit", "dsm_assess.store.backend", "dsm_assess.cli"], ["pandas"]),
    # scoring, planning and status need no charts, Word files or workbooks
    (["dsm_assess.api", "dsm_assess.capture.status", "dsm_assess.deliver.results"],
     ["matplotlib", "docx", "openpyxl"]),
])
def test_each_command_loads_only_the_libraries_it_uses(modules, never):
    # every command is a process of its own: a library imported at the top of a module is paid
    # for by every command that imports the module (pandas about 0.5 s, matplotlib and friends 0.6 s)
    code = f"import sys; import {', '.join(modules)}; print(sorted(m for m in {never!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_the_wheel_carries_the_questionnaires_the_template_and_notebook_03(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = "dsm_assess/resources/"
    for path in (PROJECT / "questionnaires").rglob("*"):
        if path.is_file() and path.suffix in (".yaml", ".md"):
            assert shipped + "questionnaires/" + path.relative_to(PROJECT / "questionnaires").as_posix() in names
    assert {shipped + "templates/default.docx", shipped + "templates/brand.yaml",
            shipped + "notebooks/03_assessment_and_roadmap.ipynb"} <= names
    assert not any(n.startswith(("engagements/", "reports/")) or "/engagements/" in n for n in names)


@pytest.mark.e2e
def test_the_installed_wheel_works_outside_the_checkout(wheel, tmp_path):
    """A fresh venv with the wheel installed (its dependencies borrowed from this environment, so
    that nothing is downloaded) checks the framework and writes a report in an empty folder."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)  # this pip installs
    python = str(venv / "bin" / "python")
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index",
                    str(wheel)], check=True, capture_output=True)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DSM_ASSESS_", "PYTHON"))}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")

    def run(*args: str) -> str:
        done = subprocess.run([str(venv / "bin" / "dsm-assess"), *args], cwd=work, env=env, capture_output=True,
                              text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    where = subprocess.run([python, "-c", "import dsm_assess; print(dsm_assess.__file__)"],
                           cwd=work, env=env, capture_output=True, text=True, check=True).stdout
    assert where.startswith(site)  # the wheel's copy, not the checkout's
    assert "14 general, 17 service, 3 technical" in run("framework", "check")
    run("engagement", "generate", "g1", "--respondents", "2", "--seed", "1")
    report = Path(run("report", "g1", "--audience", "executive").strip())
    assert (work / report if not report.is_absolute() else report).stat().st_size > 10_000
    assert (work / "engagements" / "g1" / "engagement.yaml").is_file()
