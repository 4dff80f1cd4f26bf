"""Exceptions whose messages are meant for the user: what went wrong and what to do."""


class TrainsmartError(Exception):
    """Base class; the CLI prints these without a traceback."""


class DataError(TrainsmartError):
    """A dataset is missing, corrupt or in the wrong layout."""


class ChecksumError(DataError):
    """A file's bytes do not match the pinned checksum."""


class OfflineError(DataError):
    """A download was needed but the network could not be reached."""


class UnsafeArchiveError(DataError):
    """An archive member would escape the target directory or is not a regular file."""


class ConfigError(TrainsmartError):
    """A task, search space or CLI option is invalid."""


class SkipRun(TrainsmartError):
    """This combination cannot run here (no GPU, a missing extra): recorded as skipped."""


class MissingDependency(TrainsmartError, ImportError):
    """An optional library is not installed; the message names the extra to install."""
