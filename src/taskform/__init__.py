"""taskform: declarative management of ArcGIS portal scheduled tasks."""

__version__ = "0.1.0"
