"""Perstorps kommun's guideline for social media, as a rule pack."""

from engine.hookspecs import hookimpl
from engine.plugins import pack_resource


@hookimpl
def policy_packs():
    return [pack_resource(__name__, "perstorp.policy", tests="perstorp.tests")]
