"""The API's JSON parser: DRF's, with the limits that keep a hostile body a 400 (docs/errors.md).

DRF's own parser reads the whole stream whatever its size (Django's
DATA_UPLOAD_MAX_MEMORY_SIZE only guards ``request.body`` and form fields) and lets Python's
``RecursionError`` out of a body nested a thousand levels deep, which became a 500 on every
JSON endpoint, the anonymous token endpoint included.
"""

import json

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, get_encoding

# No request of the API nests deeper than a few levels (an object holding a list of objects);
# 32 leaves room for any honest client and stops a body built to exhaust the stack.
MAX_DEPTH = 32


def nesting_depth_exceeds(value, limit: int) -> bool:
    """Whether ``value`` holds objects or arrays nested more than ``limit`` levels (the top
    level counts as 1). Iterative, so a deep value cannot exhaust the stack here either."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


class LimitedJSONParser(JSONParser):
    """JSON bodies up to DATA_UPLOAD_MAX_MEMORY_SIZE bytes, in UTF-8 (or the charset the
    request names), nested at most MAX_DEPTH levels; anything else is a ParseError (400 in the
    API's error body) that says which limit was passed."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = get_encoding(parser_context or {})
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if limit is not None else stream.read()
        if limit is not None and len(raw) > limit:
            raise ParseError(
                _("The request body is larger than %(max)s. Send less data per request.")
                % {"max": filesizeformat(limit)}
            )
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise ParseError(
                _("The request body is not valid %(encoding)s text. Send JSON encoded in UTF-8.")
                % {"encoding": encoding}
            ) from exc
        too_deep = ParseError(
            _("The JSON body is nested more than %(max)s levels deep.") % {"max": MAX_DEPTH}
        )
        try:
            data = json.loads(text, parse_constant=self._refuse_constant if self.strict else None)
        except RecursionError as exc:
            raise too_deep from exc
        except ValueError as exc:
            # json.JSONDecodeError, NaN/Infinity, an integer of more than 4,300 digits.
            raise ParseError(_("The request body is not valid JSON: %(error)s") % {"error": exc}) from exc
        if isinstance(data, (dict, list)) and nesting_depth_exceeds(data, MAX_DEPTH):
            raise too_deep
        return data

    @staticmethod
    def _refuse_constant(name: str):
        raise ValueError(_("%(name)s is not a JSON number.") % {"name": name})
