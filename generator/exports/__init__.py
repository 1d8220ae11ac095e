"""Exports of a build: the answer key (JSON, CSV) and LMS formats."""
