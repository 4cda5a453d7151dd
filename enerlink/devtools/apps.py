from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Development tooling: the demo, the legacy data builder, the migration lint, scratch databases.

    None of it is part of the domain apps (``accounts``, ``energy``); production
    code never imports it.
    """

    name = "enerlink.devtools"
    label = "devtools"
    verbose_name = "Development tools"
