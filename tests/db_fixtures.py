"""The real database for tests: the embedded server under the test LT_HOME, or LT_DATABASE_URL if set.

Tests share one database, so each uses its own session ids instead of emptying tables.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def db_target(lt_home):
    from lt.db.connect import resolve

    return resolve()


@pytest.fixture(scope="session")
def db_conn(db_target):
    from lt.db.connect import connect

    conn = connect(db_target)
    yield conn
    conn.close()
