"""Security tests reuse the response fixtures."""

from tests.responses.conftest import make_response, version

__all__ = ["make_response", "version"]
