"""Errors the command line turns into exit codes."""


class UserError(Exception):
    """Bad input or bad usage: the CLI prints the message as one line and exits with 2."""


class IndexBusyError(UserError):
    """Another process holds the index lock for longer than we are willing to wait."""
