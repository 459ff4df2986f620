"""The TMF652 order domain: intake, the saga executor, recovery, cancellation and the worker.
Importing the package registers the order tables."""

from rom import order_store  # noqa: F401
