"""Train the Rasa model only when its inputs changed: the model file is named after a hash of them."""
from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from afa.settings import Settings

# Everything that changes what the trained model does, including the code of our pipeline components.
INPUT_GLOBS = (
    "config.yml",
    "domain.yml",
    "data/**/*.yml",
    "nlu_data/**/*.yml",
    "afa/nlu/*.py",
    "afa/text.py",
    "afa/language.py",
)


def input_files(root: Path) -> list[Path]:
    files: set[Path] = set()
    for pattern in INPUT_GLOBS:
        files.update(p for p in root.glob(pattern) if p.is_file())
    return sorted(files)


def inputs_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in input_files(root):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def model_path(settings: Settings) -> Path:
    return settings.models_dir / f"afa-{inputs_hash(settings.root)}.tar.gz"


def rasa_executable() -> str:
    return str(Path(sys.executable).with_name("rasa"))


def train(settings: Settings, force: bool = False, config: str = "config.yml", out: Path | None = None) -> Path:
    """Return the model for the current inputs, training it first if it does not exist yet."""
    target = model_path(settings) if out is None else out
    if target.exists() and not force:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    command = [
        rasa_executable(), "train",
        "--config", config,
        "--domain", "domain.yml",
        "--data", "data", "nlu_data",
        "--out", str(target.parent),
        "--fixed-model-name", target.name[: -len(".tar.gz")],
    ]
    subprocess.run(command, cwd=settings.root, check=True)
    if not target.exists():
        raise RuntimeError(f"rasa train did not write {target}")
    return target
