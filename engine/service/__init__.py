"""The decision service (``policy serve``): the HTTP application and what it stands on.

``app`` (routes, configuration), ``http_io`` (reading bodies within limits, answering
JSON), ``authzen`` (the AuthZEN evaluation API mapped onto requests), ``openapi`` (the
document built from the vocabulary and the served packs), ``decision_log`` (the
``policy_decision`` plugin that writes the decision log), ``reload`` (the store that
reloads packs off to the side and keeps the last good version).
"""
