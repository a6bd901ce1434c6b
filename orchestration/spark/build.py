"""`dbt build --target spark` over the exported raw layer (session method: a local pyspark in the
dbt process; the profile `spark` in dbt_project/profiles.yml says how to point it at a cluster)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path


class SparkUnavailable(Exception):
    """dbt-spark / pyspark / java missing: `make setup-spark` installs them."""


@dataclass
class BuildResult:
    returncode: int
    seconds: float
    log: str


def check_environment(python: Path) -> None:
    probe = subprocess.run([str(python), "-c", "import pyspark, dbt.adapters.spark"], capture_output=True, text=True)
    if probe.returncode != 0:
        raise SparkUnavailable(f"{python} cannot import pyspark and dbt-spark: run `make setup-spark`")
    if subprocess.run(["java", "-version"], capture_output=True).returncode != 0:
        raise SparkUnavailable("no `java` on PATH (Spark needs Java 17): run `make setup-spark`")


def dbt_build(spark_dir: Path, raw_dir: Path, select: list[str] | None = None,
              exclude: list[str] | None = None, with_tests: bool = False, python: Path | None = None,
              echo=None) -> BuildResult:
    """Run dbt build on the spark target in a subprocess (its JVM ends with it). Seeds and models
    only unless with_tests: the DuckDB build runs the ~500 data and unit tests, and on Spark each
    is a job of its own (seconds apiece: they would triple the build time)."""
    from orchestration import settings

    python = python or Path(sys.executable)
    check_environment(python)
    spark_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, MUJUN_SPARK_DIR=str(spark_dir.resolve()), MUJUN_SPARK_RAW=str(raw_dir.resolve()),
               PYSPARK_PYTHON=str(python))
    cmd = [str(python.parent / "mujun-dbt"), "build", "--target", "spark",
           "--project-dir", str(settings.DBT_PROJECT_DIR), "--profiles-dir", str(settings.DBT_PROFILES_DIR),
           "--target-path", str(spark_dir / "dbt_target"), "--log-path", str(spark_dir / "logs")]
    if not with_tests:
        cmd += ["--resource-type", "seed", "model"]
    if select:
        cmd += ["--select", *select]
    if exclude:
        cmd += ["--exclude", *exclude]
    t0 = time.monotonic()
    # cwd: Spark writes derby.log / spark-warehouse defaults there if a setting is missed
    proc = subprocess.Popen(cmd, cwd=spark_dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if echo:
            echo(line.rstrip("\n"))
    proc.wait()
    return BuildResult(proc.returncode, time.monotonic() - t0, "".join(lines))
