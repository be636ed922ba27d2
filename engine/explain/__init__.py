"""Explaining decisions: the comparison of packs on the guideline topics and the trace of
one request.

``comparison`` (topics side by side, derived from the packs' own settings and rules),
``trace`` (an evaluator that records why each rule did or did not apply) and the views
that print them (``comparison_views``, ``trace_views``). Views take data; they never
import the command line.
"""
