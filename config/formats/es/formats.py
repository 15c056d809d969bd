"""Spanish counts as a reader in Spain writes them: "1.234 fotos" (Django's own uses a
space). Everything else falls through to Django's Spanish formats."""

THOUSAND_SEPARATOR = "."
