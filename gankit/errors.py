"""The one exception type for problems a user can fix (bad path, bad option, bad file).

The CLI prints these as a single ``gankit: error: ...`` line and exits with code 2;
anything else is a bug and keeps its traceback.
"""


class GankitError(Exception):
    """A user-fixable error. The message names the culprit and the fix."""
