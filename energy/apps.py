from django.apps import AppConfig


class EnergyConfig(AppConfig):
    name = "energy"
    verbose_name = "Energy trading"
