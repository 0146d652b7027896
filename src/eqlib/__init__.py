"""eqlib: equality information for Police and Crime Commissioners from official police data."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("eqlib")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+local"

__all__ = ["__version__"]
