"""Read the training data in `nlu_data/<lang>/*.yml` without Rasa: for the language classifier, checks and bench."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import yaml

_ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?P<spec>\{[^}]*\}|\([^)]*\))")


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    language: str
    entities: tuple[tuple[str, str, str], ...] = field(default_factory=tuple)  # (entity, value, surface text)
    source: str = ""


def parse_annotated(line: str) -> tuple[str, list[tuple[str, str, str]]]:
    """'[Marxloh'ta]{"entity": "district", "value": "marxloh"} otur' → plain text and (entity, value, surface)."""
    entities: list[tuple[str, str, str]] = []

    def _plain(match: re.Match) -> str:
        surface, spec = match.group("text"), match.group("spec")
        if spec.startswith("{"):
            data = json.loads(spec)
            entities.append((data["entity"], str(data.get("value", surface)), surface))
        else:
            entities.append((spec[1:-1], surface, surface))
        return surface

    return _ANNOTATION.sub(_plain, line), entities


def iter_file(path: Path, language: str | None = None) -> Iterator[Example]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for block in doc.get("nlu") or []:
        intent = block.get("intent")
        if not intent:
            continue
        block_language = ((block.get("metadata") or {}).get("language")) or language or ""
        for raw in str(block.get("examples") or "").splitlines():
            raw = raw.strip()
            if not raw.startswith("- "):
                continue
            text, entities = parse_annotated(raw[2:].strip())
            yield Example(text, intent, block_language, tuple(entities), path.name)


def load_examples(nlu_dir: Path) -> list[Example]:
    """Every example of every language folder (including `other/`, the languages we do not serve)."""
    examples: list[Example] = []
    for folder in sorted(p for p in nlu_dir.iterdir() if p.is_dir()):
        for path in sorted(folder.glob("*.yml")):
            examples.extend(iter_file(path, folder.name))
    return examples
