"""The shape of the house: aecore's subpackages import one way, no module imports itself in a circle, no module
grows past about 400 lines, the UI stays out of the core, and the docs' map names files that exist."""

import re
from pathlib import Path

import pytest
from import_graph import find_cycle, group_graph, group_of, import_graph

ROOT = Path(__file__).resolve().parents[2]
GRAPH = import_graph(ROOT, "aecore")
#: the most lines a module may have ("about 400": a little over is fine, a file twice that is two files)
MAX_MODULE_LINES = 420


def declared_order() -> list[str]:
    """The subpackages bottom to top as ``aecore/__init__.py`` lists them (indented lines of its docstring)."""
    docstring = (ROOT / "aecore" / "__init__.py").read_text().split('"""')[1]
    order = []
    for line in docstring.splitlines():
        match = re.match(r" {4}([a-z_, ]+?) {2,}", line)
        if match:
            order += [name.strip() for name in match.group(1).split(",")]
    return order


def test_no_module_of_aecore_imports_itself_in_a_circle():
    assert find_cycle(GRAPH) is None, f"import cycle: {' -> '.join(find_cycle(GRAPH))}"


def test_subpackages_import_only_those_below_them_in_the_declared_order():
    order = declared_order()
    assert order[:3] == ["errors", "tensorflow_runtime", "settings"] and order[-1] == "cli", order
    groups = group_graph(GRAPH)
    assert set(groups) - {"aecore", "__main__"} == set(order), "aecore/__init__.py lists every subpackage"
    wrong = [
        f"{group} imports {target}"
        for group, targets in groups.items()
        if group in order
        for target in targets
        if target in order and order.index(target) > order.index(group)
    ]
    assert not wrong, wrong
    assert find_cycle(groups) is None


def test_the_cycle_finder_sees_a_circle_hidden_in_a_function(tmp_path):
    """The circle the flat layout had: config's validation imported the variants inside a function, the variants
    imported the parameters, and the parameters imported config."""
    package = tmp_path / "flat"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "config.py").write_text("def validate():\n    from flat.variants import VARIANTS\n    return VARIANTS\n")
    (package / "variants.py").write_text("from flat.parameters import PARAMETERS\nVARIANTS = PARAMETERS\n")
    (package / "parameters.py").write_text("from flat import config\nPARAMETERS = {}\n")
    (package / "data.py").write_text("import flat.parameters\n")
    graph = import_graph(tmp_path, "flat")
    assert graph["flat.parameters"] == {"flat.config"} and graph["flat.data"] == {"flat.parameters"}
    cycle = find_cycle(graph)
    assert cycle is not None and cycle[0] == cycle[-1]
    assert set(cycle) == {"flat.config", "flat.variants", "flat.parameters"}
    assert group_of("flat.runs.store") == "runs"


def test_the_top_level_holds_only_a_handful_of_modules_and_every_subpackage_says_what_lives_there():
    top = sorted(path.name for path in (ROOT / "aecore").glob("*.py"))
    assert len(set(top) - {"__init__.py", "__main__.py"}) <= 6, top
    for init in sorted((ROOT / "aecore").glob("*/__init__.py")):
        text = init.read_text()
        assert text.startswith('"""') and len(text.split('"""')[1].strip()) > 40, f"{init} says what lives there"
        assert "import" not in text.split('"""', 2)[2], f"{init}: a package's __init__ imports nothing"


@pytest.mark.parametrize("path", sorted((ROOT / "aecore").rglob("*.py")), ids=lambda path: path.name)
def test_no_module_grows_past_about_400_lines(path):
    assert len(path.read_text().splitlines()) <= MAX_MODULE_LINES, f"{path}: split it by what it is about"


def test_aecore_never_imports_the_ui():
    for path in (ROOT / "aecore").rglob("*.py"):
        assert not re.search(r"^\s*(import|from) (streamlit|pages)\b", path.read_text(), re.M), path


def test_every_path_in_the_architecture_map_exists():
    text = (ROOT / "docs" / "architecture.md").read_text()
    paths = set(re.findall(r"`((?:aecore|pages|tests|benchmarks|docs|assets)/[\w/.]*)`", text))
    assert len(paths) >= 15, "the map names where each thing lives"
    missing = sorted(path for path in paths if not (ROOT / path).exists())
    assert not missing, missing
    for thing in ("variant", "loss term", "page", "shared panel", "training loop", "queue", "worker", "store", "CLI"):
        assert thing in text, f"docs/architecture.md says where the {thing} lives"


def test_the_readme_is_a_front_door():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 250
    for command in (
        "pip install -r requirements.txt && streamlit run app.py",
        "pip install -r requirements-test.txt && python -m pytest",
    ):
        assert command in readme
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme)
    assert images and all((ROOT / image).is_file() for image in images), images
    links = [link for link in re.findall(r"\]\(([^)#]+)\)", readme) if not link.startswith("http")]
    assert all((ROOT / link).exists() for link in links), [link for link in links if not (ROOT / link).exists()]
