"""Enough of Slack's Block Kit checks to catch the bot breaking the limits (the stand-in runs
them on every message and view it receives)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Block Kit limits Slack enforces (https://docs.slack.dev/reference/block-kit/blocks).
MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
MESSAGE_TEXT_LIMIT = 40_000


def _text_of(obj: Any) -> str:
    if isinstance(obj, Mapping):
        return str(obj.get("text", ""))
    return "" if obj is None else str(obj)


def _element_errors(element: Any, pointer: str) -> list[str]:
    if not isinstance(element, Mapping) or not isinstance(element.get("type"), str):
        return [f"missing required field: type [json-pointer:{pointer}]"]
    errors = []
    if len(str(element.get("action_id", ""))) > 255:
        errors.append(f"must be at most 255 characters [json-pointer:{pointer}/action_id]")
    if element["type"] == "button":
        if len(_text_of(element.get("text"))) > 75:
            errors.append(f"must be at most 75 characters [json-pointer:{pointer}/text/text]")
        if len(str(element.get("value", ""))) > 2000:
            errors.append(f"must be at most 2000 characters [json-pointer:{pointer}/value]")
        if len(str(element.get("url", ""))) > 3000:
            errors.append(f"must be at most 3000 characters [json-pointer:{pointer}/url]")
    return errors


def block_errors(
    blocks: Any, *, limit: int = MESSAGE_BLOCK_LIMIT, pointer: str = "/blocks"
) -> list[str]:
    """Slack-style error messages for `blocks`, empty when Slack would accept them.

    Checks the limits the product relies on (50 blocks a message, 100 a view, 3000 characters
    a section text, 150 a header, 10 section fields of 2000, 25 actions elements, 10 context
    elements, 255-character and unique block ids, button text of 75 and value of 2000).
    """
    if not isinstance(blocks, list):
        return [f"must be an array [json-pointer:{pointer}]"]
    errors: list[str] = []
    if len(blocks) > limit:
        errors.append(f"must be less than {limit + 1} items [json-pointer:{pointer}]")
    seen_ids: set[str] = set()
    for i, block in enumerate(blocks):
        at = f"{pointer}/{i}"
        if not isinstance(block, Mapping) or not isinstance(block.get("type"), str):
            errors.append(f"missing required field: type [json-pointer:{at}]")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if len(str(block_id)) > 255:
                errors.append(f"must be at most 255 characters [json-pointer:{at}/block_id]")
            if block_id in seen_ids:
                errors.append(f"duplicate block_id {block_id!r} [json-pointer:{at}/block_id]")
            seen_ids.add(str(block_id))
        kind = block["type"]
        if kind == "section":
            if "text" not in block and "fields" not in block:
                errors.append(f"must provide either text or fields [json-pointer:{at}]")
            if len(_text_of(block.get("text"))) > 3000:
                errors.append(f"must be at most 3000 characters [json-pointer:{at}/text/text]")
            fields = block.get("fields") or []
            if len(fields) > 10:
                errors.append(f"must be less than 11 items [json-pointer:{at}/fields]")
            for j, item in enumerate(fields):
                if len(_text_of(item)) > 2000:
                    errors.append(
                        f"must be at most 2000 characters [json-pointer:{at}/fields/{j}/text]"
                    )
            if "accessory" in block:
                errors.extend(_element_errors(block["accessory"], f"{at}/accessory"))
        elif kind == "header":
            if len(_text_of(block.get("text"))) > 150:
                errors.append(f"must be at most 150 characters [json-pointer:{at}/text/text]")
        elif kind == "context":
            if len(block.get("elements") or []) > 10:
                errors.append(f"must be less than 11 items [json-pointer:{at}/elements]")
        elif kind == "actions":
            elements = block.get("elements") or []
            if len(elements) > 25:
                errors.append(f"must be less than 26 items [json-pointer:{at}/elements]")
            for j, element in enumerate(elements):
                errors.extend(_element_errors(element, f"{at}/elements/{j}"))
        elif kind == "input":
            if "element" not in block:
                errors.append(f"missing required field: element [json-pointer:{at}]")
            if len(_text_of(block.get("label"))) > 2000:
                errors.append(f"must be at most 2000 characters [json-pointer:{at}/label/text]")
    return errors


def view_errors(view: Any) -> list[str]:
    if not isinstance(view, Mapping):
        return ["invalid view [json-pointer:/view]"]
    errors: list[str] = []
    kind = view.get("type")
    if kind not in ("modal", "home"):
        errors.append("must be one of modal, home [json-pointer:/view/type]")
    if kind == "modal":
        if "title" not in view:
            errors.append("missing required field: title [json-pointer:/view]")
        for key in ("title", "submit", "close"):
            if len(_text_of(view.get(key))) > 24:
                errors.append(f"must be at most 24 characters [json-pointer:/view/{key}/text]")
        has_input = any(
            isinstance(b, Mapping) and b.get("type") == "input" for b in view.get("blocks") or []
        )
        if has_input and "submit" not in view:
            errors.append("submit is required when an input block is within the blocks array")
    if len(str(view.get("callback_id", ""))) > 255:
        errors.append("must be at most 255 characters [json-pointer:/view/callback_id]")
    if len(str(view.get("private_metadata", ""))) > 3000:
        errors.append("must be at most 3000 characters [json-pointer:/view/private_metadata]")
    errors.extend(
        block_errors(view.get("blocks", []), limit=VIEW_BLOCK_LIMIT, pointer="/view/blocks")
    )
    return errors
