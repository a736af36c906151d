"""The layers of ARCHITECTURE.md, checked on the package's own imports (read from the source)."""
from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "lib" / "latentdims"
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
# rank of each folder (ARCHITECTURE.md); modules at the package root are the runner on top
RANKS = {"core": 0, "data": 1, "maths": 2, "models": 3, "studies": 4, "plotting": 4}
ROOT_RANK = 5
PROFILE_FREE = ("data", "maths", "models")
MAX_CELL_LINES = 25


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _folder(module: str) -> str:
    """The layer folder of a module ('' for the runner modules at the package root)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in RANKS else ""


def _rank(module: str) -> int:
    return RANKS.get(_folder(module), ROOT_RANK)


def _imports(path: Path):
    """(target module, imported names, line, at top level?) for every import of the package."""
    tree = ast.parse(path.read_text())
    top = {id(n) for n in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("latentdims"):
            assert node.level == 0, f"{path}: relative import (use absolute latentdims.* imports)"
            names = [a.name for a in node.names]
            # `from latentdims.core import paths` imports the module latentdims.core.paths
            targets = [f"{node.module}.{n}" for n in names
                       if (PKG.parent / f"{node.module}.{n}".replace(".", "/")).with_suffix(".py").is_file()]
            for target in targets or [node.module]:
                yield target, ([] if targets else names), node.lineno, id(node) in top
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("latentdims"):
                    yield alias.name, [], node.lineno, id(node) in top


MODULES = {_module_name(p): p for p in sorted(PKG.rglob("*.py"))}
EDGES = {m: list(_imports(p)) for m, p in MODULES.items()}


def test_layers_import_downwards():
    bad = []
    for module, edges in EDGES.items():
        for target, _, line, _ in edges:
            if target == module or target not in MODULES and target.rsplit(".", 1)[0] not in MODULES:
                continue
            same_folder = _folder(module) == _folder(target)
            if _rank(target) >= _rank(module) and not same_folder and target != "latentdims":
                bad.append(f"{MODULES[module].relative_to(PKG)}:{line} imports {target}")
    assert not bad, "imports that go up or sideways (see ARCHITECTURE.md):\n" + "\n".join(bad)


# the study modules other studies build on; a notebook group's own study imports no other group's
SHARED_STUDIES = {"latentdims.studies.jet_samples", "latentdims.studies.thesis_runs"}


def test_a_study_imports_only_the_shared_studies():
    bad = [f"{MODULES[module].relative_to(PKG)}:{line} imports {target}"
           for module, edges in EDGES.items() if _folder(module) == "studies"
           for target, _, line, _ in edges
           if _folder(target) == "studies" and target != module
           and target.rsplit(".", 1)[-1] != "studies" and target not in SHARED_STUDIES]
    assert not bad, ("a study imports another notebook group's study; move what both need to "
                     "studies/thesis_runs.py, studies/jet_samples.py or a layer below:\n"
                     + "\n".join(bad))


def test_no_import_circle():
    graph = {m: {t for t, *_ in edges if t in MODULES and t != m} for m, edges in EDGES.items()}
    # packages import their submodules' registry; a package's __init__ is not a circle partner
    # of its own submodules, which Python loads first anyway
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(stack[stack.index(nxt):] + [node, nxt]))
            elif nxt not in state:
                visit(nxt, stack + [node])
        state[node] = 2

    for m in graph:
        if m not in state:
            visit(m, [])
    assert not cycles, "import circles:\n" + "\n".join(cycles)


def test_no_private_imports_across_modules():
    bad = [f"{MODULES[m].relative_to(PKG)}:{line} takes {n} from {t}"
           for m, edges in EDGES.items() for t, names, line, _ in edges for n in names
           if n.startswith("_") and t != m]
    assert not bad, "private names imported from another module:\n" + "\n".join(bad)


def test_package_imports_at_top():
    bad = [f"{MODULES[m].relative_to(PKG)}:{line} imports {t} inside a function"
           for m, edges in EDGES.items() for t, _, line, at_top in edges if not at_top]
    assert not bad, "imports of the package inside functions:\n" + "\n".join(bad)


def test_lower_layers_know_no_profile_or_cache():
    bad = []
    for module, edges in EDGES.items():
        if _folder(module) not in PROFILE_FREE:
            continue
        for target, _, line, _ in edges:
            if target in ("latentdims.core.profiles", "latentdims.core.cache"):
                bad.append(f"{MODULES[module].relative_to(PKG)}:{line} imports {target}")
        if "by_profile(" in MODULES[module].read_text():
            bad.append(f"{MODULES[module].relative_to(PKG)} resolves a profile")
    assert not bad, ("code that knows a profile or the cache belongs in studies/:\n"
                     + "\n".join(bad))


def test_architecture_page_names_every_folder():
    page = (PKG.parents[1] / "ARCHITECTURE.md").read_text()
    folders = sorted(p.name for p in PKG.iterdir() if p.is_dir() and (p / "__init__.py").is_file())
    assert set(folders) == set(RANKS), f"folders {folders} differ from the layers {sorted(RANKS)}"
    for folder in folders:
        assert f"`{folder}/`" in page, f"ARCHITECTURE.md does not describe {folder}/"
    for path in PKG.glob("*.py"):
        if path.name != "__init__.py":
            assert f"`{path.name}`" in page, f"ARCHITECTURE.md does not place {path.name}"


def _code_cells(nb: Path):
    return [c for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "code"]


@pytest.mark.parametrize("nb", sorted(NOTEBOOKS.glob("[0-9]*.ipynb")), ids=lambda p: p.stem)
def test_notebook_cells_are_short(nb):
    long = [i for i, c in enumerate(_code_cells(nb)) if len("".join(c["source"]).splitlines()) > MAX_CELL_LINES]
    assert not long, f"{nb.name}: code cells {long} are longer than {MAX_CELL_LINES} lines"


@pytest.mark.parametrize("nb", sorted(NOTEBOOKS.glob("[0-2][0-9]_*.ipynb")), ids=lambda p: p.stem)
def test_no_plotting_machinery_in_notebooks_00_25(nb):
    """Notebooks 00-25 call a plotting function; axes are not built cell by cell."""
    calls = ("plt.subplots", "ax.plot(", ".set_xlabel(", ".set_ylabel(", ".set_title(", ".imshow(",
             ".scatter(", ".contour(", ".legend(", ".hist(", "fig.add_", "axes[")
    bad = [(i, call) for i, c in enumerate(_code_cells(nb)) for call in calls
           if call in "".join(c["source"])]
    assert not bad, f"{nb.name}: inline plotting in code cells {sorted({i for i, _ in bad})}: " \
                    f"{sorted({c for _, c in bad})}"
