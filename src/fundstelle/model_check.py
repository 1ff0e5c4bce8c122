"""Refusing a sentence-transformers model folder that would run code when loaded.

An index names its model, so opening one must never run code: the sentence-transformers
embedder (:mod:`fundstelle.embed`) checks a model's folder here before it loads it.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

__all__ = ["check_model_folder"]

# The module classes of sentence-transformers a model folder may name in modules.json
# (under any of the package's module paths, which moved between versions). Others are
# refused: a custom class runs its own code, Router and Asym name further classes, and
# WordEmbeddings imports the tokenizer class its config names.
_SAFE_MODULES = frozenset(
    "Transformer Pooling Normalize Dense LayerNorm Dropout StaticEmbedding WeightedLayerPooling CNN LSTM".split()
)
_SAFE_ACTIVATION = re.compile(r"torch\.nn\.(?:modules\.activation\.)?[A-Za-z]+")
# Weights in these formats are unpickled, which can run code (torch's weights_only
# unpickler could too before torch 2.6); safetensors cannot.
_PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".joblib")
_CONFIG_BYTES = 64 * 2**20


def check_model_folder(folder: Path) -> None:
    """Refuse a sentence-transformers model folder that would run code when loaded.

    Raises :class:`ValueError` naming the file and the reason when ``modules.json``
    names a module class that is not one of sentence-transformers' plain ones (or a
    path outside the folder), a config asks for remote code (``auto_map``,
    ``trust_remote_code``) or for an activation outside ``torch.nn``, or weights come
    only as pickles (``pytorch_model.bin``) with no safetensors file beside them.
    Loading such a folder ran code with sentence-transformers before 6.0.
    """
    modules_file = folder / "modules.json"
    if modules_file.is_file():
        modules = _config(modules_file)
        if not isinstance(modules, list) or not all(isinstance(m, dict) for m in modules):
            raise ValueError(f"{modules_file} is not a list of modules")
        for module in modules:
            kind, path = module.get("type"), module.get("path", "")
            parts = kind.split(".") if isinstance(kind, str) else []
            if len(parts) < 2 or parts[0] != "sentence_transformers" or parts[-1] not in _SAFE_MODULES \
                    or not all(part.isidentifier() for part in parts):
                raise ValueError(f"{modules_file} names the module class {kind!r}, which is not one of "
                                 "sentence-transformers' own plain modules; loading it could run code")
            if not isinstance(path, str) or os.path.isabs(path) or ".." in Path(path).parts:
                raise ValueError(f"{modules_file} points outside the model folder ({path!r})")
    for path in sorted(folder.rglob("*")):
        if path.suffix == ".json" and path.is_file():
            _check_config(path, _config(path))
        elif path.suffix in _PICKLE_SUFFIXES and not any(path.parent.glob("*.safetensors")):
            raise ValueError(f"{path} holds pickled weights, which can run code when loaded; "
                             "use a model folder with .safetensors weights")


def _config(path: Path) -> Any:
    if path.stat().st_size > _CONFIG_BYTES:
        raise ValueError(f"{path} is larger than a model's config file can be")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as error:
        raise ValueError(f"{path} is not valid JSON ({error})") from None


def _check_config(path: Path, config: Any) -> None:
    """Refuse a config that asks for code: ``auto_map``, ``trust_remote_code`` or a foreign activation."""
    stack = [config]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            if "auto_map" in value or value.get("trust_remote_code"):
                raise ValueError(f"{path} asks for the model's own code (auto_map / trust_remote_code); "
                                 "Fundstelle loads no code from a model")
            activation = value.get("activation_function")
            if isinstance(activation, str) and not _SAFE_ACTIVATION.fullmatch(activation):
                raise ValueError(f"{path} names the activation {activation!r}, which is not in torch.nn")
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
