"""A scratch copy of the dbt project holding only some models, for tests that build them alone
(dbt compiles every model it finds: a copy keeps the build to the models under test)."""
from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def copy_dbt_project(dst: Path, model_dir: str, *, reference_seeds: bool = False) -> Path:
    """dbt_project.yml, the profile, macros and generic tests, the models under
    dbt_project/models/<model_dir> and, if asked, seeds/reference."""
    (dst / "dbt_project" / "tests").mkdir(parents=True)
    (dst / "seeds").mkdir()
    shutil.copy(REPO / "dbt_project.yml", dst)
    shutil.copy(REPO / "dbt_project" / "profiles.yml", dst / "dbt_project")
    shutil.copytree(REPO / "dbt_project" / "macros", dst / "dbt_project" / "macros")
    shutil.copytree(REPO / "dbt_project" / "tests" / "generic", dst / "dbt_project" / "tests" / "generic")
    shutil.copytree(REPO / "dbt_project" / "models" / model_dir, dst / "dbt_project" / "models" / model_dir)
    if reference_seeds:
        shutil.copytree(REPO / "seeds" / "reference", dst / "seeds" / "reference")
    return dst
