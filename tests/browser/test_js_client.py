"""The JavaScript client (web/client) and React hooks (web/react) against the real server and worker.

The tests themselves are Node test-runner files in web/tests/; this module starts the stack, makes
the users, and runs them, so that the one test command covers them.
"""
from __future__ import annotations

import os
import re

import pytest

from tests.browser.support import ensure_web_tooling, run_node, users_json

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def run_node_tests(stack, make_user, test_file: str, *, user_count: int) -> dict[str, int]:
    """Runs one Node test file; returns the runner's closing counts (pass, fail, ...)."""
    ensure_web_tooling()
    users = [make_user(f"Js{n}") for n in range(user_count)]
    env = {"E2E_BASE_URL": stack.http_url, "E2E_USERS": users_json(users)}
    # NODE_TEST_PATTERN=<regex> runs only the matching Node tests (while working on one).
    pattern = [f"--test-name-pattern={os.environ['NODE_TEST_PATTERN']}"] if os.environ.get("NODE_TEST_PATTERN") else []
    result = run_node(["--test", "--test-reporter=spec", "--test-timeout=90000", *pattern, test_file], env=env,
                      timeout=480)
    return {name: int(count) for name, count in re.findall(r"^ℹ (\w+) (\d+)$", result.stdout, re.M)}


@pytest.mark.timeout(600)
def test_client_module_against_real_server(stack, make_user):
    counts = run_node_tests(stack, make_user, "tests/client.test.js", user_count=40)
    assert counts["fail"] == 0 and counts["pass"] >= (1 if os.environ.get("NODE_TEST_PATTERN") else 31), counts


@pytest.mark.timeout(600)
def test_react_hooks_in_a_dom_against_real_server(stack, make_user):
    counts = run_node_tests(stack, make_user, "tests/hooks.test.js", user_count=15)
    assert counts["fail"] == 0 and counts["pass"] >= 7, counts
