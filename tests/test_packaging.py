"""The project's own files: dependencies that cannot drift, a Makefile that explains itself."""

from __future__ import annotations

import re
import subprocess
import tomllib

import yaml

from conftest import ROOT


def requirement_names(requirements):
    return {re.split(r"[<>=!~\[ ;]", item, maxsplit=1)[0].strip().lower().replace("_", "-")
            for item in requirements}


def test_environment_yml_and_pyproject_name_the_same_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = requirement_names(project["dependencies"] + project["optional-dependencies"]["dev"])
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [item for item in environment["dependencies"] if isinstance(item, str)]
    pip = [item for block in environment["dependencies"] if isinstance(block, dict)
           for item in block.get("pip", [])]
    listed = requirement_names(conda + pip) - {"python", "pip"}
    assert listed == declared, (f"only in environment.yml: {sorted(listed - declared)}; "
                                f"only in pyproject.toml: {sorted(declared - listed)}")
    assert "conda-forge" in environment["channels"]
    assert any(item.replace(" ", "").startswith("python=3.11") for item in conda)


def test_make_help_describes_every_target():
    result = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True)
    for target in ("setup", "test", "lab", "solutions", "student", "data", "clean"):
        assert re.search(rf"make {target}\s+\S", result.stdout), f"make help lacks {target}"


def test_readme_gives_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "make setup" in readme and "make test" in readme
