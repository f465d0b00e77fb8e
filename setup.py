"""Build step: the wheel carries the repository's top-level default model and feeds.yaml as package data.

The one canonical copy of each stays at the top level of the repository, where a source checkout reads
it; setuptools has no declarative way to put files from outside a package's folder into that package,
so build_py copies them to classifiers/shipped/ (same relative paths), where classifiers.layout reads
them in an installed package. MANIFEST.in puts them in the sdist, so a wheel built from it has them too.
"""
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

TOP_LEVEL_FILES = ["feeds.yaml", "models/default"]  # a file or a whole folder; also listed in MANIFEST.in
SHIPPED_FOLDER = Path("classifiers") / "shipped"  # classifiers.layout.SHIPPED_PACKAGE_FOLDER


class BuildPyWithTopLevelFiles(build_py):
    """build_py, plus TOP_LEVEL_FILES copied into the built classifiers package (not for editable installs,
    which read the repository itself)."""

    def run(self):
        super().run()
        if self.editable_mode:
            return
        for name in TOP_LEVEL_FILES:
            target = Path(self.build_lib) / SHIPPED_FOLDER / name
            self.mkpath(str(target.parent))
            (self.copy_tree if Path(name).is_dir() else self.copy_file)(name, str(target))


setup(cmdclass={"build_py": BuildPyWithTopLevelFiles})
