"""Tools for pack authors, built on the decision pipeline.

``testing`` (pack test cases and coverage; ``pytest_plugin`` collects them), ``analysis``
(``policy check``'s warnings), ``enumeration`` (the requests that can make a difference),
``semdiff`` (``policy diff``), ``scaffold`` (``policy new``).
"""
