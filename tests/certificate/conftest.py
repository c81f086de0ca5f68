"""Fixtures of the work certificate tests: the checked client (no 5xx, no stack trace, one error shape), two
workers, and direct SQL to write a worker's history rows (the import API is another feature's; writing rows
directly keeps these tests about the certificate)."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from server.settings import Settings
from tests.helpers import Db, check_response, sign_up


@pytest.fixture
def client(client: TestClient) -> Iterator[TestClient]:
    client.event_hooks["response"].append(check_response)
    yield client


@pytest.fixture
def db(settings: Settings) -> Db:
    return Db(settings.database_url)


@pytest.fixture
def alice(client: TestClient) -> dict[str, str]:
    return sign_up(client, "alice")


@pytest.fixture
def bob(client: TestClient) -> dict[str, str]:
    return sign_up(client, "bob")
