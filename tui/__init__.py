"""docpool: process a folder of PDFs with a pool of worker processes."""

__version__ = "0.1.0"
