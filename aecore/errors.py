"""The one exception type for mistakes a user can make."""


class AecoreError(ValueError):
    """A problem the user can fix: the message says what to change.

    Pages show it with ``st.error`` and the command line prints it on one line and
    exits with code 2, so its message must be a complete sentence without a traceback.
    """


def quoted(text: object, limit: int = 40) -> str:
    """A user's value as an error message repeats it: cut to ``limit`` characters, so that a 100,000-character
    link value gives a one-line message, not a page of it."""
    shown = str(text)
    return f"'{shown}'" if len(shown) <= limit else f"'{shown[:limit]}…' ({len(shown):,} characters)"
