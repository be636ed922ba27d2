"""The web desk: the pages ``policy serve`` shows people at ``/`` (Decide) and
``/compare`` (Compare), server-rendered HTML built on the pipeline and the vocabulary's
Swedish and English labels. docs/desk.md describes the pages; ``engine.desk.routes``
hands the service its routes.
"""
