"""The rule language: grammar, AST and parser (source text → AST).

``dsl.parser.parse_pack`` and ``dsl.parser.parse_tests`` are the entry points; the
compiler in ``engine.compiler`` takes the AST from there.
"""
