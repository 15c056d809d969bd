from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Demo data and the Flickr simulator: installed only in local runs and tests."""

    name = "devtools"
    verbose_name = "optout development tools"
