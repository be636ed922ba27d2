"""``python -m engine`` runs the ``policy`` command."""

from engine.cli import main

main(prog_name="policy")
