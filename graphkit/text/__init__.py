"""Text normalisers shared by every stage: names, romanization, identifiers, countries."""
