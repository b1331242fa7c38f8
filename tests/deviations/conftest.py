"""The review's fixtures serve the deviations too."""

from tests.review.conftest import (  # noqa: F401 - fixtures used here
    make_response,
    resubmit,
    submitted,
    version,
)
