"""The deterministic train/validation split by conversation id, shared with the C++ reader
(experiments/sequence_split.h): FNV-1a 64 over the id's UTF-8 bytes; validation when hash % 1000 < permille."""

FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
DEFAULT_VALIDATION_PERMILLE = 50  # 5 %, as EAGLE's 95/5 split


def fnv1a64(text):
    h = FNV_OFFSET
    for b in text.encode("utf-8"):
        h = ((h ^ b) * FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return h


def is_validation(conversation_id, permille=DEFAULT_VALIDATION_PERMILLE):
    return fnv1a64(conversation_id) % 1000 < permille
