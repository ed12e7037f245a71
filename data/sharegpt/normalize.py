"""Turns one raw ShareGPT element {"id", "conversations": [{"from", "value"}]} into the project's
conversation record {"id", "turns": [{"role": "user"|"assistant", "content"}]}, or a reason to drop it.

Rules (as EAGLE's ge_data scripts read ShareGPT, made total instead of asserting):
  - "human"/"user" are user turns; "gpt"/"chatgpt"/"bing"/"bard" are assistant turns;
  - "system" turns (site banners such as "*This chat conversation is shared from TypingMind.com*") are dropped;
  - leading assistant turns are dropped (the conversation must start with the user);
  - the conversation is cut before the first turn that breaks user/assistant alternation or is empty;
  - a trailing user turn (no answer) is dropped;
  - a conversation left without an assistant turn is dropped."""

USER_ROLES = {"human", "user"}
ASSISTANT_ROLES = {"gpt", "chatgpt", "bing", "bard"}
SYSTEM_ROLES = {"system"}


def _role(source):
    if source in USER_ROLES:
        return "user"
    if source in ASSISTANT_ROLES:
        return "assistant"
    if source in SYSTEM_ROLES:
        return "system"
    return None


def normalize(element):
    """Returns (record, None) or (None, reason)."""
    if not isinstance(element, dict) or not isinstance(element.get("id"), str):
        return None, "malformed"
    raw = element.get("conversations")
    if not isinstance(raw, list) or not raw:
        return None, "empty"
    turns = []
    for t in raw:
        if not isinstance(t, dict) or not isinstance(t.get("value"), str):
            return None, "malformed"
        role = _role(t.get("from"))
        if role is None:
            return None, "unknown_role"
        if role == "system":
            continue
        if not turns and role == "assistant":
            continue
        expected = "user" if len(turns) % 2 == 0 else "assistant"
        if role != expected or not t["value"].strip():
            break
        turns.append({"role": role, "content": t["value"]})
    if turns and turns[-1]["role"] == "user":
        turns.pop()
    if not turns:
        return None, "no_answer"
    return {"id": element["id"], "turns": turns}, None
