"""User-facing errors: interfaces turn these into plain messages."""

from __future__ import annotations


class AssistantError(Exception):
    """Base class for errors a user can act on."""

    hint: str = ""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint or self.hint

    def user_message(self) -> str:
        """The message and what to do next, on one or two lines."""
        return f"{self}\n{self.hint}" if self.hint else str(self)


class ConfigError(AssistantError):
    """A setting is missing or wrong."""


class UnknownComponentError(ConfigError):
    """A name that no registry knows."""


class MissingExtraError(ConfigError):
    """An optional dependency is not installed."""


class IngestError(AssistantError):
    """A document could not be read; it is skipped and reported by name."""


class QuestionError(AssistantError):
    """The question cannot be asked as given (empty, too long)."""


class UnknownSourceError(QuestionError):
    """A document the question was limited to is not indexed."""


class GeneratorError(AssistantError):
    """The language model failed; callers fall back to quoted evidence."""


class IndexEmptyError(AssistantError):
    """Nothing has been indexed yet."""

    hint = "Run `assistant ingest seeds/` (or `make chat`) first."


class IndexDamagedError(AssistantError):
    """An index file cannot be read (damaged, truncated, or not an index at all)."""

    hint = (
        "Rebuild the index from your documents: `assistant ingest --rebuild PATH ...` "
        "(your documents are not touched; only the index files are recreated)."
    )


class StorageFullError(IngestError):
    """The disk filled up while the index was being written."""

    hint = "Free some disk space and run the same ingest again; files already indexed stay answerable."
