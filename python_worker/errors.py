"""Exceptions raised by the test tasks.

They live in an importable module so the result backend stores a stable
``exc_module`` ("python_worker.errors") and ``exc_type`` for PHP to read.
"""


class PaymentDeclined(Exception):
    """A domain error with a custom class, raised by tasks.fail_custom."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
