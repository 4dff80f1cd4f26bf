"""The closed sets of words of serving: runtimes, scenarios, and which framework has which.

Plain data, checked before anything trains or serves: an unknown runtime or scenario is a
``ConfigError`` naming the known ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from trainsmart_bench.errors import ConfigError

# runtime -> what it is, per framework (the module that prepares it: serving.<framework>)
RUNTIMES: Mapping[str, Mapping[str, str]] = MappingProxyType({
    "native": MappingProxyType({
        "torch": "the trained nn.Module, eager, under torch.inference_mode",
        "keras": "the Keras model's inference function, no XLA (tf.function on TensorFlow)",
        "sklearn": "the fitted estimator's predict_proba / predict",
    }),
    "compiled": MappingProxyType({
        "torch": "torch.compile of the module (inductor)",
        "keras": "the inference function with jit_compile=True (XLA)",
    }),
    "exported": MappingProxyType({
        "torch": "torch.export.export with a dynamic batch, run as its module",
        "keras": "model.export (TensorFlow SavedModel), loaded with tf.saved_model.load",
    }),
    "onnxruntime": MappingProxyType({
        "torch": "torch.onnx.export (dynamo) run in ONNX Runtime",
        "keras": "Keras's model.export(format='onnx') run in ONNX Runtime",
        "sklearn": "skl2onnx run in ONNX Runtime",
    }),
})

# scenario -> LoadGen's name for it
SCENARIOS: Mapping[str, str] = MappingProxyType({
    "single-stream": "SingleStream", "multi-stream": "MultiStream",
    "offline": "Offline", "server": "Server",
    "server-ray": "Server",  # the same, against the model behind Ray Serve over HTTP
})
DEFAULT_SCENARIOS = ("single-stream", "offline", "server")
MULTI_STREAM_SAMPLES = 8  # samples per query, as MLPerf's MultiStream


def framework_of(backend: str) -> str:
    """The framework a backend's saved model belongs to (Keras on any backend is Keras)."""
    for framework in ("torch", "sklearn"):
        if backend == framework:
            return framework
    if backend == "keras" or backend.startswith("keras-"):
        return "keras"
    raise ConfigError(f"backend {backend!r} has no serving runtimes "
                      "(serving knows torch, keras, keras-tf, keras-jax, keras-torch, sklearn)")


def runtimes_for(backend: str) -> list[str]:
    framework = framework_of(backend)
    return [r for r, by in RUNTIMES.items() if framework in by]


def parse_runtimes(text: str) -> list[str]:
    """``all`` or a comma-separated list of runtimes."""
    if text.strip() == "all":
        return list(RUNTIMES)
    return _known([w.strip() for w in text.split(",") if w.strip()], RUNTIMES, "runtime")


def parse_scenarios(text: str) -> list[str]:
    if text.strip() == "all":
        return list(SCENARIOS)
    return _known([w.strip() for w in text.split(",") if w.strip()], SCENARIOS, "scenario")


def _known(words: list[str], known: Mapping[str, object], what: str) -> list[str]:
    if not words:
        raise ConfigError(f"no {what} named; one or more of: {', '.join(known)}, or all")
    bad = [w for w in words if w not in known]
    if bad:
        raise ConfigError(f"unknown {what} {', '.join(map(repr, bad))}; known: "
                          f"{', '.join(known)} (or all)")
    return list(dict.fromkeys(words))
