"""Editor support: the rule language served over the Language Server Protocol.

``policy lsp`` (``engine.cli.editor``) runs :mod:`engine.editor.server`, which answers an
editor's requests with the modules beside it: the text and its positions (``source``),
its words (``tokens``) and what they name (``outline``), diagnostics (``diagnostics``,
the long checks in a worker process), completion, hover, navigation and edits. Everything
it knows of the vocabulary comes through ``lexicon``. Built on the pipeline and on
``engine.authoring``; nothing outside the command line imports it.
"""
