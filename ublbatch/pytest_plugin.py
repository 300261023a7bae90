"""pytest plugin for ublbatch (being written)."""
