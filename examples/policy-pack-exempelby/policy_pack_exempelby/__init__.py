"""Exempelby kommun (fictional): a rule pack that brings words of its own.

Two hooks: the words the guideline needs beyond the contract (``vocabulary.toml``), and
the pack with its test cases.
"""

from engine.hookspecs import hookimpl
from engine.plugins import pack_resource
from engine.vocabulary_file import vocabulary_resource


@hookimpl
def policy_vocabulary():
    return vocabulary_resource(__name__)


@hookimpl
def policy_packs():
    return [pack_resource(__name__, "exempelby.policy", tests="exempelby.tests")]
