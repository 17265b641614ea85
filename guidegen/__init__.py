"""guidegen: builds DenialHelp's appeal-guide site from YAML matrices and Markdown write-ups.

The pipeline, one module per stage:
load (yaml_loader, schema) -> content -> expand (matrix) -> link (links)
-> render (render) -> write (writer) -> site files (sitefiles), run by pipeline.
"""

__version__ = "0.1.0"
