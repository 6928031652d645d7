"""Builds the optional C kernels (mlplab._fused); everything else is in pyproject.toml."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("mlplab._fused", ["src/mlplab/_fused.c"], extra_compile_args=["-O3", "-fno-math-errno", "-fno-trapping-math"], optional=True)])
