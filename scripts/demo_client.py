"""The demo's "test suite": what an ML test suite downloads from the Hub, through
huggingface_hub and transformers, unchanged. scripts/demo runs it online, replayed, and
offline from an export."""

import os

from huggingface_hub import hf_hub_download, snapshot_download
from transformers import AutoConfig, AutoTokenizer

REPO = "hubcache-demo/tiny-bert"

config = AutoConfig.from_pretrained(REPO)
tokenizer = AutoTokenizer.from_pretrained(REPO)
weights = hf_hub_download(REPO, "model.safetensors")
onnx = hf_hub_download(REPO, "onnx/model.onnx", revision="v1.0")
data = snapshot_download("hubcache-demo/tiny-data", repo_type="dataset")
print(f"  transformers: {config.model_type}, tokens {tokenizer('hello world hubcache')['input_ids']}")
print(f"  huggingface_hub: model.safetensors {os.path.getsize(weights)} B, "
      f"onnx/model.onnx@v1.0 {os.path.getsize(onnx)} B, "
      f"dataset files {sorted(os.listdir(os.path.join(data, 'data')))}")
