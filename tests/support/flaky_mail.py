"""The far side of email in tests: anymail's test backend, with provider failures on demand."""

from typing import Any, ClassVar

import requests
from anymail.backends.test import EmailBackend as AnymailTestBackend
from anymail.exceptions import AnymailAPIError, AnymailRequestsAPIError


def provider_error(status: int, reason: str) -> AnymailRequestsAPIError:
    """What anymail raises when the provider's API answers `status`."""
    response = requests.Response()
    response.status_code = status
    response.reason = reason
    response._content = f'{{"message": "{reason}"}}'.encode()
    return AnymailRequestsAPIError(
        "ESP API response error", status_code=status, response=response, esp_name="Test"
    )


class EmailBackend(AnymailTestBackend):
    """Raises the queued provider errors, one per send, then delivers as usual."""

    failures: ClassVar[list[AnymailAPIError]] = []

    def post_to_esp(self, payload: Any, message: Any) -> Any:
        if EmailBackend.failures:
            raise EmailBackend.failures.pop(0)
        return super().post_to_esp(payload, message)
