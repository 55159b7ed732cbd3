"""Builds the web pages' front-end libraries into the package before the Python build."""

import importlib.util
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithWeb(build_py):
    def run(self) -> None:
        spec = importlib.util.spec_from_file_location(
            "ceasefire_web_vendor", ROOT / "src" / "ceasefire" / "interfaces" / "http" / "web" / "vendor.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.build(ROOT)
        super().run()


setup(cmdclass={"build_py": BuildWithWeb})
