"""One exception hierarchy: every exception class the project defines derives from FairfinderError."""
from __future__ import annotations

import importlib
import inspect
import pkgutil

import scrapers
import server
from scrapers.model import PayloadError
from server.certificate.signing import CanonicalizationError
from server.domain.filters import FilterError
from server.errors import ApiError, FairfinderError
from server.settings import SettingsError

PACKAGES = (server, scrapers)


def defined_exceptions() -> list[type[BaseException]]:
    found = []
    for package in PACKAGES:
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if ".migrations" in info.name or info.name == "server.asgi":
                continue  # alembic scripts need alembic's context; asgi builds an app from the environment
            module = importlib.import_module(info.name)
            found += [value for _, value in inspect.getmembers(module, inspect.isclass)
                      if issubclass(value, BaseException) and value.__module__ == module.__name__]
    return found


def test_every_exception_class_derives_from_fairfinder_error() -> None:
    classes = defined_exceptions()
    assert len(classes) >= 15 and ApiError in classes
    assert [c.__qualname__ for c in classes if not issubclass(c, FairfinderError)] == []


def test_value_errors_stay_value_errors() -> None:
    """Callers that caught ValueError before the common base still catch them."""
    assert all(issubclass(error, ValueError) for error in (PayloadError, CanonicalizationError, FilterError, SettingsError))
