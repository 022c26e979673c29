"""The demo's "test suite": what an ML test suite downloads from the Hub, through
huggingface_hub, transformers and datasets, unchanged. scripts/demo runs it online, replayed,
and offline from an export."""

import os

from datasets import load_dataset
from huggingface_hub import constants, hf_hub_download, snapshot_download
from transformers import AutoConfig, AutoTokenizer

REPO = "hubcache-demo/tiny-bert"

config = AutoConfig.from_pretrained(REPO)
tokenizer = AutoTokenizer.from_pretrained(REPO)
weights = hf_hub_download(REPO, "model.safetensors")
onnx = hf_hub_download(REPO, "onnx/model.onnx", revision="v1.0")
data = snapshot_download("hubcache-demo/tiny-data", repo_type="dataset")
# load_dataset("org/name") lists the repo, which takes a server (hubcache, or the Hub); from a
# plain HF cache (HF_HUB_OFFLINE=1), datasets loads the snapshot's folder.
if constants.HF_HUB_OFFLINE:
    rows = load_dataset(snapshot_download("acme/tiny-dataset", repo_type="dataset"), split="train")
else:
    rows = load_dataset("acme/tiny-dataset", split="train")
print(f"  transformers: {config.model_type}, tokens {tokenizer('hello world hubcache')['input_ids']}")
print(f"  huggingface_hub: model.safetensors {os.path.getsize(weights)} B, "
      f"onnx/model.onnx@v1.0 {os.path.getsize(onnx)} B, "
      f"dataset files {sorted(os.listdir(os.path.join(data, 'data')))}")
print(f"  datasets: acme/tiny-dataset train, {rows.num_rows} rows")
