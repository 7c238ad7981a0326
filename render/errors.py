class UserError(Exception):
    """A mistake in the user's input. The CLI prints it as one line, without a traceback, and exits 2."""


class RunFailed(Exception):
    """A run that started and could not finish (frames that failed, a split that fails its own
    check). The CLI prints it as one `error:` line and exits 1; what was there before is kept."""
