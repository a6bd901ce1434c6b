"""The dbt project as Dagster sees it (assets_dbt_python pattern).

The manifest is prepared by `mujun prepare` (CI, tests, `mujun run`) or by `dagster dev`
(prepare_if_dev); it is never parsed at import time of the definitions.
"""
from dagster_dbt import DbtProject

from orchestration import settings

settings.export_env()

dbt_project = DbtProject(project_dir=settings.DBT_PROJECT_DIR, profiles_dir=settings.DBT_PROFILES_DIR)
dbt_project.prepare_if_dev()
