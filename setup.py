"""Build of the engine's compiled core; everything else is declared in pyproject.toml."""

from Cython.Build import cythonize
from setuptools import Extension, setup

setup(
    ext_modules=cythonize(
        [
            Extension(
                "wanzheng.network._engine_core",
                ["src/wanzheng/network/_engine_core.pyx"],
            )
        ],
        compiler_directives={"language_level": "3"},
    ),
)
