"""The one exception type for mistakes a user can make."""


class AecoreError(ValueError):
    """A problem the user can fix: the message says what to change.

    Pages show it with ``st.error`` and the command line prints it on one line and
    exits with code 2, so its message must be a complete sentence without a traceback.
    """
