"""Reading what the outbox sent, as the email provider would."""

from django.core.mail import EmailMessage, EmailMultiAlternatives


def tags(message: EmailMessage) -> list[str]:
    """The provider tags on a sent message: our outbox tags each email with its kind.

    `tags` is an attribute anymail reads off the message; Django's EmailMessage (and so
    its stubs) has no such field, hence the look-up in the instance's own dict.
    """
    found: list[str] = vars(message)["tags"]
    return found


def html_part(message: EmailMessage) -> str:
    """The HTML alternative of a sent message (every email has one, after the text)."""
    assert isinstance(message, EmailMultiAlternatives), "sent without an HTML part"
    content, _mimetype = message.alternatives[0]
    assert isinstance(content, str)
    return content
