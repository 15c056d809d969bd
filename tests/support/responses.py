"""What Django's test client returns, typed, and read."""

from typing import TYPE_CHECKING

from django.http import StreamingHttpResponse
from django.http.response import HttpResponseBase

if TYPE_CHECKING:
    # django-stubs' name for the client's response: the view's response plus .json(),
    # .context, .templates and the other attributes the client adds. Only the stubs have it.
    from django.test.client import _MonkeyPatchedWSGIResponse as ClientResponse
else:
    ClientResponse = HttpResponseBase

__all__ = ["ClientResponse", "streamed_text"]


def streamed_text(response: HttpResponseBase) -> str:
    """The whole body of a streamed response (the CSV and JSON exports), decoded."""
    assert isinstance(response, StreamingHttpResponse), f"not streamed: {type(response)}"
    return response.getvalue().decode()
