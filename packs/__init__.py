"""The built-in rule packs, one sub-package per municipality.

Each sub-package is a plugin of the ``policy.packs`` entry-point group (see
``pyproject.toml``) and holds the pack source, its test cases and a README.
"""
