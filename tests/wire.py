"""Helpers for what travels on a wire (JSON answers, CSV downloads), shared by the money tests."""

import csv
import io


def floats_in(data, path: str = "$") -> list[str]:
    """Paths of every JSON number with a fraction in a decoded JSON body: money travels as
    decimal strings and counts as integers, so a well-formed answer has none."""
    if isinstance(data, float):
        return [f"{path} = {data!r}"]
    if isinstance(data, dict):
        return [found for key, value in data.items() for found in floats_in(value, f"{path}.{key}")]
    if isinstance(data, list):
        return [found for index, value in enumerate(data) for found in floats_in(value, f"{path}[{index}]")]
    return []


def csv_rows(response) -> list[list[str]]:
    """The rows of a CSV download (header first)."""
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))
