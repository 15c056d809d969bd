"""optout: get your photos out of face-recognition training sets.

The layers, from the entry points down to the data, are in docs/architecture.md.
"""
