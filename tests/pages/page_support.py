"""What the AppTest tests of the pages share."""

from __future__ import annotations


def texts(elements) -> str:
    """The values of a list of AppTest elements (markdown, captions, errors...) as one text to search."""
    return "\n".join(str(element.value) for element in elements)
